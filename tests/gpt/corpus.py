"""Texts the tokenizer must split exactly as llama.cpp does: code, Chinese, mixed scripts, odd whitespace."""

CORPUS = [
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "写一个冒泡排序",
    "创建一个用户注册功能，用户名已经存在时返回错误信息，否则创建新的用户并返回成功信息。",
    "编写一个Python函数，计算两个数的平均值；例如 average(2, 4) 返回 3。",
    "for (let i = 0; i < arr.length; i++) { console.log(`item ${i}: ${arr[i]}`); }",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC LIMIT 10;",
    "I'm sure it's fine, they'll see. We've DONE it: YOU'RE right!",
    "Numbers: 1234567890, 3.14159, -42, 1e-9, 0xFF, 1_000_000",
    "Tabs\tand\t\ttabs, trailing spaces   \n\n\nand blank lines\r\nwindows\r\n",
    "    indented\n        more\n\t\tmixed \t \n",
    "emoji 🙂👍🏽 and symbols ≥ ≤ ≠ → ∑ ∫ √ © ® ™ and café naïve Ωmega",
    "日本語のテキストと한국어 텍스트, Русский текст, العربية",
    '<html><body class="main"><p>Hello &amp; welcome</p></body></html>',
    "x=[1,2,3];y={'a':1,\"b\":[None,True,False]}\nprint(x,y,sep='\\n')",
    "   leading spaces and a final space ",
    "a" * 50 + " " + "ab" * 30,
    "",
    " ",
    "\n",
    "中文，标点！？（括号）“引号”《书名》……——",
    "混合English和中文mixed在一起123数字",
]
SPECIAL = "<|im_start|>user\n写一个函数<|im_end|>\n<|im_start|>assistant\n<tool_call>x</tool_call>"
