"""Record real replies of the embedded model for the extraction tests.

    .venv/bin/python tests/data/record_replies.py            # writes tests/data/replies.json

Each entry keeps the requirement, the language asked for, the raw reply and the settings, so the
extraction tests run on what the model really writes. Re-record after changing the prompts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aigc.config import load_settings
from aigc.engines import GenerationParams, Request, create_engine
from aigc.tasks.generate import target_language
from aigc.verify.candidates import build_messages

PROMPTS: list[tuple[str, str | None]] = [
    ("编写一个Python函数，计算两个数的平均值", None),
    ("实现快速排序", None),
    ("写一个函数判断一个字符串是否是回文，例如 is_palindrome('aba') 返回 True", None),
    ("编写一个函数，统计一段文本中每个单词出现的次数", "python"),
    ("用Python读取一个CSV文件并计算每一列的平均值", None),
    ("实现一个简单的LRU缓存类，支持get和put操作", "python"),
    ("write a function that returns the n-th Fibonacci number", None),
    ("write a debounce function", "javascript"),
    (
        "Write a Python class for a bank account with deposit and withdraw; "
        "withdraw more than the balance raises ValueError",
        None,
    ),
    ("parse an ISO 8601 date string and return the weekday name", "python"),
    ("写一个JavaScript函数，把数组去重", None),
    ("write a bash script that counts the lines of every .py file in a folder", None),
    ("写一个SQL查询，找出每个部门工资最高的员工", None),
    ("create an HTML page with a login form (username and password) and basic CSS", None),
    ("一个Flask应用，有 app.py 和 templates/index.html 两个文件，首页显示 Hello", None),
    ("a tiny Express server in server.js and its package.json", None),
    ("write a Python function to merge two sorted lists, with example usage", None),
    ("写一个函数，把摄氏度转换为华氏度，并给出使用示例", "python"),
    ("implement binary search in TypeScript", None),
    ("write a function that validates an email address with a regular expression", "python"),
    ("用Go语言写一个函数计算切片中所有整数的和", None),
    ("写一个Python脚本，递归列出目录下所有文件的大小", None),
    ("write a Python decorator that retries a function 3 times on exception", None),
    ("implement a stack class in Python with push, pop, peek and is_empty", None),
]


def main() -> None:
    settings = load_settings()
    engine = create_engine(settings)
    params = GenerationParams(max_tokens=400, temperature=0.0, seed=0)
    records = []
    for i, (requirement, lang) in enumerate(PROMPTS):
        language = target_language(requirement, lang)
        completion = engine.complete(Request.chat(build_messages(requirement, language), params))
        records.append(
            {
                "requirement": requirement,
                "language": language,
                "reply": completion.text,
                "finish_reason": completion.finish_reason,
                "model": completion.model,
                "max_tokens": params.max_tokens,
            }
        )
        print(
            f"[{i + 1}/{len(PROMPTS)}] {language:10} {completion.usage.completion_tokens:4} tokens",
            file=sys.stderr,
        )
    out = Path(__file__).with_name("replies.json")
    out.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
