"""The Chinese requirements benchmark: function requirements as users type them, each with hidden tests.

    .venv/bin/python benchmarks/zh_tasks.py        # rewrites benchmarks/data/zh-dev.jsonl and zh-held.jsonl

Each requirement names its function (the hidden tests call it) and states its edge cases and speed limits
in words, as a user would; a few carry examples, most do not. The hidden tests check what the words say:
the empty, single and all-equal cases, negative numbers, and inputs large enough that a slow algorithm
runs past the judge's time limit (no timing in the tests themselves). `reference` is a solution written
by hand that the tests are checked against (tests/eval/test_zh_tasks.py); the pipeline never sees it,
nor the tests.

The split was fixed before any run: tasks sorted by the SHA-256 of their id, the first half is the
development half (choose methods and settings on it), the rest is held back (report it, never tune on it).
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# (id, requirement, entry point, reference solution, hidden tests)
TASKS: list[tuple[str, str, str, str, list[str]]] = [
    (
        "second_largest",
        "写一个函数 second_largest(nums)，返回列表中第二大的不同数值；如果不同的数少于两个（包括空列表），返回 None。",
        "second_largest",
        """
def second_largest(nums):
    values = sorted(set(nums), reverse=True)
    return values[1] if len(values) > 1 else None
""",
        [
            "assert second_largest([3, 1, 2]) == 2",
            "assert second_largest([5, 5, 5]) is None",
            "assert second_largest([]) is None",
            "assert second_largest([1]) is None",
            "assert second_largest([-1, -2]) == -2",
            "assert second_largest([2, 2, 1]) == 1",
        ],
    ),
    (
        "average",
        "编写一个Python函数 average(a, b)，计算两个数的平均值，返回浮点数。例如 average(5, 3) 返回 4.0。",
        "average",
        """
def average(a, b):
    return (a + b) / 2
""",
        [
            "assert average(5, 3) == 4.0",
            "assert average(-2, 2) == 0.0",
            "assert average(1, 2) == 1.5",
            "assert isinstance(average(2, 2), float)",
        ],
    ),
    (
        "is_palindrome",
        "写一个函数 is_palindrome(s)，判断字符串是否是回文，忽略大小写和所有非字母数字的字符；空字符串算回文。",
        "is_palindrome",
        """
def is_palindrome(s):
    t = [c.lower() for c in s if c.isalnum()]
    return t == t[::-1]
""",
        [
            "assert is_palindrome('A man, a plan, a canal: Panama') is True",
            "assert is_palindrome('race a car') is False",
            "assert is_palindrome('') is True",
            "assert is_palindrome('ab_a') is True",
            "assert is_palindrome('0P') is False",
        ],
    ),
    (
        "count_vowels",
        "写函数 count_vowels(s) 统计英文字符串里元音字母 a、e、i、o、u 的个数，大写也要算。",
        "count_vowels",
        """
def count_vowels(s):
    return sum(c in 'aeiou' for c in s.lower())
""",
        [
            "assert count_vowels('Hello World') == 3",
            "assert count_vowels('') == 0",
            "assert count_vowels('AEIOU xyz') == 5",
            "assert count_vowels('rhythm') == 0",
        ],
    ),
    (
        "fibonacci",
        "实现 fibonacci(n)，返回第 n 个斐波那契数，fibonacci(0) 是 0，fibonacci(1) 是 1。n 可能大到 10000，要很快算出来。",
        "fibonacci",
        """
def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        [
            "assert fibonacci(0) == 0",
            "assert fibonacci(1) == 1",
            "assert fibonacci(10) == 55",
            "assert fibonacci(90) == 2880067194370816120",
            "assert fibonacci(10000) % 1000000007 == {fib10000}",
        ],
    ),
    (
        "merge_intervals",
        "写一个函数 merge_intervals(intervals)，合并重叠的区间。输入是 [start, end] 组成的列表，可能是乱序的，返回按起点排好序的合并结果；端点相接的区间（比如 [1, 2] 和 [2, 3]）也要合并；空列表返回空列表。",
        "merge_intervals",
        """
def merge_intervals(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out
""",
        [
            "assert merge_intervals([[1, 3], [2, 6], [8, 10], [15, 18]]) == [[1, 6], [8, 10], [15, 18]]",
            "assert merge_intervals([]) == []",
            "assert merge_intervals([[1, 2], [2, 3]]) == [[1, 3]]",
            "assert merge_intervals([[5, 7], [1, 2]]) == [[1, 2], [5, 7]]",
            "assert merge_intervals([[1, 10], [2, 3]]) == [[1, 10]]",
        ],
    ),
    (
        "word_frequency",
        "写 word_frequency(text)：统计一段英文里每个单词出现的次数，不区分大小写，忽略标点符号，返回字典（单词用小写）。",
        "word_frequency",
        """
import re
def word_frequency(text):
    counts = {}
    for w in re.findall(r"[a-z0-9']+", text.lower()):
        w = w.strip("'")
        if w:
            counts[w] = counts.get(w, 0) + 1
    return counts
""",
        [
            "assert word_frequency('The cat, the hat.') == {'the': 2, 'cat': 1, 'hat': 1}",
            "assert word_frequency('') == {}",
            "assert word_frequency('Hi! hi? HI.') == {'hi': 3}",
        ],
    ),
    (
        "flatten",
        "写一个函数 flatten(nested)，把任意深度嵌套的列表展平成一维列表，保持原来的顺序。",
        "flatten",
        """
def flatten(nested):
    out = []
    for x in nested:
        if isinstance(x, list):
            out.extend(flatten(x))
        else:
            out.append(x)
    return out
""",
        [
            "assert flatten([1, [2, [3, [4]]]]) == [1, 2, 3, 4]",
            "assert flatten([]) == []",
            "assert flatten([[], [[]]]) == []",
            "assert flatten([1, 2, 3]) == [1, 2, 3]",
            "assert flatten([['a'], 'b', [['c']]]) == ['a', 'b', 'c']",
        ],
    ),
    (
        "two_sum",
        "实现 two_sum(nums, target)：在整数列表中找出和为 target 的两个数，返回它们的下标 (i, j)，i < j；保证最多只有一组答案，找不到返回 None。列表长度可能达到十万，需要线性时间。",
        "two_sum",
        """
def two_sum(nums, target):
    seen = {}
    for j, x in enumerate(nums):
        if target - x in seen:
            return (seen[target - x], j)
        seen.setdefault(x, j)
    return None
""",
        [
            "assert two_sum([2, 7, 11, 15], 9) == (0, 1)",
            "assert two_sum([3, 3], 6) == (0, 1)",
            "assert two_sum([1, 2], 7) is None",
            "assert two_sum([], 1) is None",
            "assert two_sum([-3, 4, 3, 90], 0) == (0, 2)",
            "assert two_sum(list(range(100000)), 199997) == (99998, 99999)",
        ],
    ),
    (
        "max_subarray_sum",
        "写 max_subarray_sum(nums) 求最大连续子数组的和。如果全是负数，返回其中最大的那个数；空列表返回 0。列表可能有十万个元素。",
        "max_subarray_sum",
        """
def max_subarray_sum(nums):
    if not nums:
        return 0
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
""",
        [
            "assert max_subarray_sum([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6",
            "assert max_subarray_sum([-3, -1, -2]) == -1",
            "assert max_subarray_sum([]) == 0",
            "assert max_subarray_sum([5]) == 5",
            "assert max_subarray_sum([1] * 100000) == 100000",
            "assert max_subarray_sum([(-1) ** i * i for i in range(100000)]) == 99998",
        ],
    ),
    (
        "roman_to_int",
        "写一个函数 roman_to_int(s)，把罗马数字字符串转成整数，比如 'MCMXCIV' 返回 1994。",
        "roman_to_int",
        """
def roman_to_int(s):
    v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}
    total = 0
    for i, c in enumerate(s):
        if i + 1 < len(s) and v[c] < v[s[i + 1]]:
            total -= v[c]
        else:
            total += v[c]
    return total
""",
        [
            "assert roman_to_int('III') == 3",
            "assert roman_to_int('IV') == 4",
            "assert roman_to_int('MCMXCIV') == 1994",
            "assert roman_to_int('LVIII') == 58",
            "assert roman_to_int('MMMCMXCIX') == 3999",
        ],
    ),
    (
        "int_to_roman",
        "实现 int_to_roman(num)，把 1 到 3999 之间的整数转成罗马数字字符串；超出这个范围抛出 ValueError。",
        "int_to_roman",
        """
def int_to_roman(num):
    if not 1 <= num <= 3999:
        raise ValueError(num)
    parts = [(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'), (50, 'L'), (40, 'XL'), (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]
    out = ''
    for value, sym in parts:
        while num >= value:
            out += sym
            num -= value
    return out
""",
        [
            "assert int_to_roman(3) == 'III'",
            "assert int_to_roman(1994) == 'MCMXCIV'",
            "assert int_to_roman(3999) == 'MMMCMXCIX'",
            "assert int_to_roman(4) == 'IV'",
            "import pytest\nwith pytest.raises(ValueError):\n    int_to_roman(0)",
            "import pytest\nwith pytest.raises(ValueError):\n    int_to_roman(4000)",
        ],
    ),
    (
        "is_valid_brackets",
        "写函数 is_valid_brackets(s)，判断字符串里的括号 ()、[]、{} 是否正确配对和嵌套，其他字符忽略；空字符串返回 True。",
        "is_valid_brackets",
        """
def is_valid_brackets(s):
    pairs = {')': '(', ']': '[', '}': '{'}
    stack = []
    for c in s:
        if c in '([{':
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack
""",
        [
            "assert is_valid_brackets('()[]{}') is True",
            "assert is_valid_brackets('(]') is False",
            "assert is_valid_brackets('') is True",
            "assert is_valid_brackets('([a]{b})') is True",
            "assert is_valid_brackets('(((') is False",
            "assert is_valid_brackets(')(') is False",
        ],
    ),
    (
        "chunk",
        "写 chunk(lst, size)：把列表按 size 个一组切分，最后一组可以不满；size 小于等于 0 时抛出 ValueError。",
        "chunk",
        """
def chunk(lst, size):
    if size <= 0:
        raise ValueError(size)
    return [lst[i:i + size] for i in range(0, len(lst), size)]
""",
        [
            "assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]",
            "assert chunk([], 3) == []",
            "assert chunk([1, 2], 5) == [[1, 2]]",
            "import pytest\nwith pytest.raises(ValueError):\n    chunk([1], 0)",
        ],
    ),
    (
        "unique_keep_order",
        "写一个函数 unique_keep_order(items)，去掉列表中的重复元素，保留每个元素第一次出现的顺序。列表可能很长（几十万个元素）。",
        "unique_keep_order",
        """
def unique_keep_order(items):
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
""",
        [
            "assert unique_keep_order([3, 1, 3, 2, 1]) == [3, 1, 2]",
            "assert unique_keep_order([]) == []",
            "assert unique_keep_order(['a', 'a']) == ['a']",
            "assert unique_keep_order(list(range(200000)) * 2) == list(range(200000))",
        ],
    ),
    (
        "celsius_to_fahrenheit",
        "写函数 celsius_to_fahrenheit(c) 把摄氏度换算成华氏度，结果用 round 保留一位小数。",
        "celsius_to_fahrenheit",
        """
def celsius_to_fahrenheit(c):
    return round(c * 9 / 5 + 32, 1)
""",
        [
            "assert celsius_to_fahrenheit(0) == 32.0",
            "assert celsius_to_fahrenheit(100) == 212.0",
            "assert celsius_to_fahrenheit(-40) == -40.0",
            "assert celsius_to_fahrenheit(36.6) == 97.9",
        ],
    ),
    (
        "is_prime",
        "写一个判断质数的函数 is_prime(n)。n 小于 2 时返回 False。n 可能大到 10 的 12 次方，要在一秒内算出来。",
        "is_prime",
        """
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True
""",
        [
            "assert is_prime(2) is True",
            "assert is_prime(1) is False",
            "assert is_prime(0) is False",
            "assert is_prime(-7) is False",
            "assert is_prime(97) is True",
            "assert is_prime(91) is False",
            "assert is_prime(999999999989) is True",
            "assert is_prime(999999999987) is False",
        ],
    ),
    (
        "gcd_list",
        "写 gcd_list(nums)，返回列表中所有整数的最大公约数；负数按绝对值算；空列表返回 0。",
        "gcd_list",
        """
import math
def gcd_list(nums):
    g = 0
    for x in nums:
        g = math.gcd(g, abs(x))
    return g
""",
        [
            "assert gcd_list([12, 18, 24]) == 6",
            "assert gcd_list([]) == 0",
            "assert gcd_list([-4, 6]) == 2",
            "assert gcd_list([7]) == 7",
            "assert gcd_list([0, 5]) == 5",
        ],
    ),
    (
        "rotate_list",
        "实现 rotate_list(lst, k)：把列表向右旋转 k 步，返回新列表。k 可能比列表长度还大，也可能是负数（负数表示向左旋转）；空列表返回空列表。",
        "rotate_list",
        """
def rotate_list(lst, k):
    if not lst:
        return []
    k %= len(lst)
    return lst[-k:] + lst[:-k] if k else list(lst)
""",
        [
            "assert rotate_list([1, 2, 3, 4, 5], 2) == [4, 5, 1, 2, 3]",
            "assert rotate_list([1, 2, 3], 5) == [2, 3, 1]",
            "assert rotate_list([1, 2, 3], -1) == [2, 3, 1]",
            "assert rotate_list([], 3) == []",
            "assert rotate_list([1, 2], 0) == [1, 2]",
        ],
    ),
    (
        "anagram_groups",
        "写一个函数 anagram_groups(words)，把由相同字母组成（字母异位词）的单词分到一组，返回列表的列表；每组里的单词保持原来的顺序，组按第一次出现的顺序排列。",
        "anagram_groups",
        """
def anagram_groups(words):
    groups = {}
    for w in words:
        groups.setdefault(''.join(sorted(w)), []).append(w)
    return list(groups.values())
""",
        [
            "assert anagram_groups(['eat', 'tea', 'tan', 'ate', 'nat', 'bat']) == [['eat', 'tea', 'ate'], ['tan', 'nat'], ['bat']]",
            "assert anagram_groups([]) == []",
            "assert anagram_groups(['a']) == [['a']]",
        ],
    ),
    (
        "longest_common_prefix",
        "写 longest_common_prefix(strs)，返回字符串列表的最长公共前缀；列表为空或者没有公共前缀时返回空字符串。",
        "longest_common_prefix",
        """
def longest_common_prefix(strs):
    if not strs:
        return ''
    prefix = strs[0]
    for s in strs[1:]:
        while not s.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
""",
        [
            "assert longest_common_prefix(['flower', 'flow', 'flight']) == 'fl'",
            "assert longest_common_prefix(['dog', 'car']) == ''",
            "assert longest_common_prefix([]) == ''",
            "assert longest_common_prefix(['same', 'same']) == 'same'",
            "assert longest_common_prefix(['', 'a']) == ''",
        ],
    ),
    (
        "binary_search",
        "写一个二分查找函数 binary_search(sorted_list, target)，返回 target 在升序列表中的下标，找不到返回 -1；如果有重复元素，返回最左边那个的下标。列表可能有一百万个元素。",
        "binary_search",
        """
def binary_search(sorted_list, target):
    lo, hi = 0, len(sorted_list)
    while lo < hi:
        mid = (lo + hi) // 2
        if sorted_list[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(sorted_list) and sorted_list[lo] == target else -1
""",
        [
            "assert binary_search([1, 3, 5, 7], 5) == 2",
            "assert binary_search([1, 3, 5, 7], 4) == -1",
            "assert binary_search([], 1) == -1",
            "assert binary_search([2, 2, 2, 3], 2) == 0",
            "assert binary_search([1, 1, 2, 2, 2, 3], 2) == 2",
            "big = list(range(1000000))\nassert all(binary_search(big, t) == t for t in range(0, 1000000, 997))",
        ],
    ),
    (
        "transpose",
        "写函数 transpose(matrix) 返回矩阵（列表的列表）的转置；空矩阵返回空列表。",
        "transpose",
        """
def transpose(matrix):
    return [list(row) for row in zip(*matrix)]
""",
        [
            "assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]",
            "assert transpose([]) == []",
            "assert transpose([[1]]) == [[1]]",
            "assert transpose([[1, 2]]) == [[1], [2]]",
        ],
    ),
    (
        "run_length_encode",
        "写 run_length_encode(s)，做行程长度编码，例如 'aaabcc' 编码成 'a3b1c2'；空字符串返回空字符串。",
        "run_length_encode",
        """
def run_length_encode(s):
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(f'{s[i]}{j - i}')
        i = j
    return ''.join(out)
""",
        [
            "assert run_length_encode('aaabcc') == 'a3b1c2'",
            "assert run_length_encode('') == ''",
            "assert run_length_encode('a') == 'a1'",
            "assert run_length_encode('a' * 12) == 'a12'",
            "assert run_length_encode('abab') == 'a1b1a1b1'",
        ],
    ),
    (
        "run_length_decode",
        "写 run_length_decode(s)，把 'a3b1c2' 这样的行程编码还原成 'aaabcc'。次数可能是多位数，比如 'x12' 表示 12 个 x；空字符串返回空字符串。",
        "run_length_decode",
        """
import re
def run_length_decode(s):
    return ''.join(ch * int(n) for ch, n in re.findall(r'(\\D)(\\d+)', s))
""",
        [
            "assert run_length_decode('a3b1c2') == 'aaabcc'",
            "assert run_length_decode('') == ''",
            "assert run_length_decode('x12') == 'x' * 12",
            "assert run_length_decode('a1b10') == 'a' + 'b' * 10",
        ],
    ),
    (
        "parse_duration",
        "写函数 parse_duration(text)，把 '1h30m'、'45s'、'2h5s' 这样的时长转换成总秒数，h、m、s 可以任意组合但按这个顺序出现；空字符串或格式不对时抛出 ValueError。",
        "parse_duration",
        """
import re
def parse_duration(text):
    m = re.fullmatch(r'(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?', text)
    if not text or m is None:
        raise ValueError(text)
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return h * 3600 + mi * 60 + s
""",
        [
            "assert parse_duration('1h30m') == 5400",
            "assert parse_duration('45s') == 45",
            "assert parse_duration('2h5s') == 7205",
            "assert parse_duration('10m') == 600",
            "import pytest\nwith pytest.raises(ValueError):\n    parse_duration('')",
            "import pytest\nwith pytest.raises(ValueError):\n    parse_duration('abc')",
        ],
    ),
    (
        "validate_password",
        "写 validate_password(pw)：密码至少 8 位，并且同时包含大写字母、小写字母和数字时返回 True，否则返回 False。",
        "validate_password",
        """
def validate_password(pw):
    return len(pw) >= 8 and any(c.isupper() for c in pw) and any(c.islower() for c in pw) and any(c.isdigit() for c in pw)
""",
        [
            "assert validate_password('Abcdefg1') is True",
            "assert validate_password('abcdefg1') is False",
            "assert validate_password('ABCDEFG1') is False",
            "assert validate_password('Abcdefgh') is False",
            "assert validate_password('Ab1') is False",
            "assert validate_password('') is False",
        ],
    ),
    (
        "mask_phone",
        "写一个函数 mask_phone(phone)，把 11 位手机号中间四位换成星号，例如 '13812345678' 变成 '138****5678'；如果不是 11 位数字，抛出 ValueError。",
        "mask_phone",
        """
def mask_phone(phone):
    if len(phone) != 11 or not phone.isdigit():
        raise ValueError(phone)
    return phone[:3] + '****' + phone[7:]
""",
        [
            "assert mask_phone('13812345678') == '138****5678'",
            "assert mask_phone('19900000000') == '199****0000'",
            "import pytest\nwith pytest.raises(ValueError):\n    mask_phone('1381234567')",
            "import pytest\nwith pytest.raises(ValueError):\n    mask_phone('1381234567a')",
        ],
    ),
    (
        "id_birthday",
        "写 id_birthday(id_number)：从 18 位身份证号里取出出生日期，返回 'YYYY-MM-DD' 格式的字符串。最后一位可能是 X。",
        "id_birthday",
        """
def id_birthday(id_number):
    d = id_number[6:14]
    return f'{d[:4]}-{d[4:6]}-{d[6:]}'
""",
        [
            "assert id_birthday('11010519491231002X') == '1949-12-31'",
            "assert id_birthday('440524188001010014') == '1880-01-01'",
            "assert id_birthday('320311200002290011') == '2000-02-29'",
        ],
    ),
    (
        "format_money",
        "写 format_money(amount)，把金额格式化成带千分位逗号、保留两位小数的字符串，例如 1234567.891 变成 '1,234,567.89'；负数前面带负号。",
        "format_money",
        """
def format_money(amount):
    return f'{amount:,.2f}'
""",
        [
            "assert format_money(1234567.891) == '1,234,567.89'",
            "assert format_money(0) == '0.00'",
            "assert format_money(-1234.5) == '-1,234.50'",
            "assert format_money(999) == '999.00'",
        ],
    ),
    (
        "chinese_number",
        "写一个函数 chinese_number(n)，把 0 到 99 的整数转成中文读法，比如 0 是 '零'，10 是 '十'，15 是 '十五'，21 是 '二十一'，90 是 '九十'。",
        "chinese_number",
        """
def chinese_number(n):
    digits = '零一二三四五六七八九'
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ('' if tens == 1 else digits[tens]) + '十' + (digits[ones] if ones else '')
""",
        [
            "assert chinese_number(0) == '零'",
            "assert chinese_number(7) == '七'",
            "assert chinese_number(10) == '十'",
            "assert chinese_number(15) == '十五'",
            "assert chinese_number(21) == '二十一'",
            "assert chinese_number(90) == '九十'",
            "assert chinese_number(99) == '九十九'",
        ],
    ),
    (
        "count_chinese_chars",
        "写 count_chinese_chars(s)，统计字符串里汉字的个数（标点、字母、数字不算）。",
        "count_chinese_chars",
        """
def count_chinese_chars(s):
    return sum('\\u4e00' <= c <= '\\u9fff' for c in s)
""",
        [
            "assert count_chinese_chars('你好，world！') == 2",
            "assert count_chinese_chars('') == 0",
            "assert count_chinese_chars('abc123') == 0",
            "assert count_chinese_chars('中文测试') == 4",
        ],
    ),
    (
        "reverse_words",
        "写 reverse_words(s)：把英文句子里单词的顺序倒过来，单词之间多个空格算一个，结果首尾不要有空格。",
        "reverse_words",
        """
def reverse_words(s):
    return ' '.join(reversed(s.split()))
""",
        [
            "assert reverse_words('the sky is blue') == 'blue is sky the'",
            "assert reverse_words('  hello   world  ') == 'world hello'",
            "assert reverse_words('') == ''",
            "assert reverse_words('one') == 'one'",
        ],
    ),
    (
        "top_k_frequent",
        "写 top_k_frequent(nums, k)，返回出现次数最多的 k 个数，按次数从多到少排列，次数相同的按数值从小到大。",
        "top_k_frequent",
        """
from collections import Counter
def top_k_frequent(nums, k):
    return [x for x, _ in sorted(Counter(nums).items(), key=lambda p: (-p[1], p[0]))[:k]]
""",
        [
            "assert top_k_frequent([1, 1, 1, 2, 2, 3], 2) == [1, 2]",
            "assert top_k_frequent([4, 4, 5, 5, 6], 2) == [4, 5]",
            "assert top_k_frequent([], 3) == []",
            "assert top_k_frequent([7], 1) == [7]",
            "assert top_k_frequent([3, 2, 1], 3) == [1, 2, 3]",
        ],
    ),
    (
        "moving_average",
        "写 moving_average(nums, window)：返回长度为 window 的滑动窗口平均值列表；window 比列表长时返回空列表；window 小于等于 0 抛出 ValueError。列表可能有十万个元素，窗口也可能很大，要线性时间。",
        "moving_average",
        """
def moving_average(nums, window):
    if window <= 0:
        raise ValueError(window)
    if window > len(nums):
        return []
    s = sum(nums[:window])
    out = [s / window]
    for i in range(window, len(nums)):
        s += nums[i] - nums[i - window]
        out.append(s / window)
    return out
""",
        [
            "assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]",
            "assert moving_average([1, 2], 3) == []",
            "assert moving_average([5], 1) == [5.0]",
            "import pytest\nwith pytest.raises(ValueError):\n    moving_average([1], 0)",
            "r = moving_average([1] * 100000, 50000)\nassert len(r) == 50001 and r[0] == 1.0 and r[-1] == 1.0",
        ],
    ),
    (
        "days_between",
        "写函数 days_between(d1, d2)，计算两个 'YYYY-MM-DD' 格式日期之间相差多少天，返回非负整数。",
        "days_between",
        """
from datetime import date
def days_between(d1, d2):
    return abs((date.fromisoformat(d2) - date.fromisoformat(d1)).days)
""",
        [
            "assert days_between('2024-01-01', '2024-03-01') == 60",
            "assert days_between('2024-03-01', '2024-01-01') == 60",
            "assert days_between('2023-12-31', '2023-12-31') == 0",
            "assert days_between('2000-01-01', '2001-01-01') == 366",
        ],
    ),
    (
        "is_leap_year",
        "写 is_leap_year(year) 判断闰年。",
        "is_leap_year",
        """
def is_leap_year(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
""",
        [
            "assert is_leap_year(2024) is True",
            "assert is_leap_year(1900) is False",
            "assert is_leap_year(2000) is True",
            "assert is_leap_year(2023) is False",
        ],
    ),
    (
        "bmi_category",
        "写 bmi_category(weight_kg, height_m)，按中国标准返回 BMI 分类：小于 18.5 是 '偏瘦'，18.5 到 24（不含）是 '正常'，24 到 28（不含）是 '超重'，28 及以上是 '肥胖'；体重或身高小于等于 0 时抛出 ValueError。",
        "bmi_category",
        """
def bmi_category(weight_kg, height_m):
    if weight_kg <= 0 or height_m <= 0:
        raise ValueError((weight_kg, height_m))
    bmi = weight_kg / height_m ** 2
    if bmi < 18.5:
        return '偏瘦'
    if bmi < 24:
        return '正常'
    if bmi < 28:
        return '超重'
    return '肥胖'
""",
        [
            "assert bmi_category(50, 1.75) == '偏瘦'",
            "assert bmi_category(65, 1.75) == '正常'",
            "assert bmi_category(80, 1.75) == '超重'",
            "assert bmi_category(90, 1.75) == '肥胖'",
            "assert bmi_category(24, 1.0) == '超重'",
            "import pytest\nwith pytest.raises(ValueError):\n    bmi_category(60, 0)",
        ],
    ),
    (
        "grade",
        "写一个成绩等级函数 grade(score)：90 到 100 分返回 'A'，80 到 89 返回 'B'，70 到 79 返回 'C'，60 到 69 返回 'D'，60 分以下返回 'F'；分数不在 0 到 100 之间时抛出 ValueError。",
        "grade",
        """
def grade(score):
    if not 0 <= score <= 100:
        raise ValueError(score)
    for bound, letter in ((90, 'A'), (80, 'B'), (70, 'C'), (60, 'D')):
        if score >= bound:
            return letter
    return 'F'
""",
        [
            "assert grade(95) == 'A'",
            "assert grade(90) == 'A'",
            "assert grade(89) == 'B'",
            "assert grade(60) == 'D'",
            "assert grade(0) == 'F'",
            "assert grade(100) == 'A'",
            "import pytest\nwith pytest.raises(ValueError):\n    grade(101)",
            "import pytest\nwith pytest.raises(ValueError):\n    grade(-1)",
        ],
    ),
    (
        "stack",
        "用 Python 实现一个栈类 Stack，提供 push(x)、pop()、peek()、is_empty()、size() 方法；栈为空时调用 pop 或 peek 要抛出 IndexError。",
        "Stack",
        """
class Stack:
    def __init__(self):
        self._items = []
    def push(self, x):
        self._items.append(x)
    def pop(self):
        if not self._items:
            raise IndexError('pop from an empty stack')
        return self._items.pop()
    def peek(self):
        if not self._items:
            raise IndexError('peek at an empty stack')
        return self._items[-1]
    def is_empty(self):
        return not self._items
    def size(self):
        return len(self._items)
""",
        [
            "s = Stack()\nassert s.is_empty() and s.size() == 0\ns.push(1)\ns.push(2)\nassert s.peek() == 2 and s.size() == 2\nassert s.pop() == 2 and s.pop() == 1 and s.is_empty()",
            "import pytest\nwith pytest.raises(IndexError):\n    Stack().pop()",
            "import pytest\nwith pytest.raises(IndexError):\n    Stack().peek()",
        ],
    ),
    (
        "bank_account",
        "写一个银行账户类 BankAccount(balance=0)，有 deposit(amount) 存款和 withdraw(amount) 取款方法以及 balance 属性；金额小于等于 0 或者取款时余额不足，抛出 ValueError，余额不变。",
        "BankAccount",
        """
class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
    def deposit(self, amount):
        if amount <= 0:
            raise ValueError(amount)
        self.balance += amount
    def withdraw(self, amount):
        if amount <= 0 or amount > self.balance:
            raise ValueError(amount)
        self.balance -= amount
""",
        [
            "a = BankAccount()\na.deposit(100)\na.withdraw(30)\nassert a.balance == 70",
            "assert BankAccount(50).balance == 50",
            "import pytest\na = BankAccount(10)\nwith pytest.raises(ValueError):\n    a.withdraw(20)\nassert a.balance == 10",
            "import pytest\na = BankAccount(10)\nwith pytest.raises(ValueError):\n    a.deposit(0)\nwith pytest.raises(ValueError):\n    a.deposit(-5)\nassert a.balance == 10",
        ],
    ),
    (
        "lru_cache",
        "实现 LRU 缓存类 LRUCache(capacity)，支持 get(key) 和 put(key, value)，key 不存在时 get 返回 -1；容量满了插入新 key 时淘汰最久没用过的；get 和 put 都要是 O(1)。",
        "LRUCache",
        """
from collections import OrderedDict
class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.data = OrderedDict()
    def get(self, key):
        if key not in self.data:
            return -1
        self.data.move_to_end(key)
        return self.data[key]
    def put(self, key, value):
        if key in self.data:
            self.data.move_to_end(key)
        self.data[key] = value
        if len(self.data) > self.capacity:
            self.data.popitem(last=False)
""",
        [
            "c = LRUCache(2)\nc.put(1, 1)\nc.put(2, 2)\nassert c.get(1) == 1\nc.put(3, 3)\nassert c.get(2) == -1\nc.put(4, 4)\nassert c.get(1) == -1 and c.get(3) == 3 and c.get(4) == 4",
            "c = LRUCache(1)\nc.put(1, 1)\nc.put(1, 2)\nassert c.get(1) == 2",
            "c = LRUCache(2)\nassert c.get(5) == -1",
            "c = LRUCache(50000)\nfor i in range(200000):\n    c.put(i, i)\n    c.get(i // 2)\nassert c.get(199999) == 199999",
        ],
    ),
    (
        "nth_prime",
        "写 nth_prime(n)，返回第 n 个质数，nth_prime(1) 是 2。n 可能达到十万，要几秒内算完。",
        "nth_prime",
        """
def nth_prime(n):
    limit = 15
    while True:
        sieve = bytearray([1]) * (limit + 1)
        sieve[0:2] = b'\\x00\\x00'
        for i in range(2, int(limit ** 0.5) + 1):
            if sieve[i]:
                sieve[i * i::i] = bytearray(len(range(i * i, limit + 1, i)))
        primes = [i for i, p in enumerate(sieve) if p]
        if len(primes) >= n:
            return primes[n - 1]
        limit *= 2
""",
        [
            "assert nth_prime(1) == 2",
            "assert nth_prime(2) == 3",
            "assert nth_prime(6) == 13",
            "assert nth_prime(1000) == 7919",
            "assert nth_prime(100000) == 1299709",
        ],
    ),
    (
        "count_islands",
        "写 count_islands(grid)：grid 是由 0 和 1 组成的二维列表，1 是陆地，上下左右相连的陆地算一个岛，返回岛的数量；空网格返回 0。网格可能很大（比如 500×500 全是陆地），不能因为递归太深而出错。",
        "count_islands",
        """
def count_islands(grid):
    if not grid:
        return 0
    rows, cols = len(grid), len(grid[0])
    seen = [[False] * cols for _ in range(rows)]
    count = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] == 1 and not seen[r][c]:
                count += 1
                stack = [(r, c)]
                seen[r][c] = True
                while stack:
                    y, x = stack.pop()
                    for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                        if 0 <= ny < rows and 0 <= nx < cols and grid[ny][nx] == 1 and not seen[ny][nx]:
                            seen[ny][nx] = True
                            stack.append((ny, nx))
    return count
""",
        [
            "assert count_islands([[1, 1, 0], [0, 1, 0], [0, 0, 1]]) == 2",
            "assert count_islands([]) == 0",
            "assert count_islands([[0, 0], [0, 0]]) == 0",
            "assert count_islands([[1, 0, 1], [0, 1, 0], [1, 0, 1]]) == 5",
            "assert count_islands([[1] * 500 for _ in range(500)]) == 1",
        ],
    ),
    (
        "climb_stairs",
        "爬楼梯：每次可以爬 1 阶或 2 阶，写 climb_stairs(n) 返回爬到第 n 阶有多少种方法，n 为 0 时返回 1。n 可能到 1000。",
        "climb_stairs",
        """
def climb_stairs(n):
    a, b = 1, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        [
            "assert climb_stairs(0) == 1",
            "assert climb_stairs(1) == 1",
            "assert climb_stairs(2) == 2",
            "assert climb_stairs(5) == 8",
            "assert climb_stairs(1000) % 1000000007 == {stairs1000}",
        ],
    ),
    (
        "coin_change",
        "写 coin_change(coins, amount)，返回凑成 amount 需要的最少硬币个数，每种硬币数量不限；凑不出来返回 -1；amount 为 0 返回 0。amount 可能到 10000。",
        "coin_change",
        """
def coin_change(coins, amount):
    best = [0] + [float('inf')] * amount
    for a in range(1, amount + 1):
        for c in coins:
            if c <= a and best[a - c] + 1 < best[a]:
                best[a] = best[a - c] + 1
    return best[amount] if best[amount] != float('inf') else -1
""",
        [
            "assert coin_change([1, 2, 5], 11) == 3",
            "assert coin_change([2], 3) == -1",
            "assert coin_change([1], 0) == 0",
            "assert coin_change([1, 3, 4], 6) == 2",
            "assert coin_change([7, 13, 29], 10000) == {coins10000}",
        ],
    ),
    (
        "lis_length",
        "写 lis_length(nums)：返回最长严格递增子序列的长度；空列表返回 0。列表可能有十万个元素，需要 O(n log n)。",
        "lis_length",
        """
import bisect
def lis_length(nums):
    tails = []
    for x in nums:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)
""",
        [
            "assert lis_length([10, 9, 2, 5, 3, 7, 101, 18]) == 4",
            "assert lis_length([]) == 0",
            "assert lis_length([7, 7, 7]) == 1",
            "assert lis_length([1, 2, 3]) == 3",
            "assert lis_length(list(range(100000))) == 100000",
            "assert lis_length([(i * 7919) % 100003 for i in range(100000)]) == {lis_big}",
        ],
    ),
    (
        "edit_distance",
        "写 edit_distance(a, b) 计算两个字符串的编辑距离（插入、删除、替换一个字符各算一步）。字符串长度可能到 1000。",
        "edit_distance",
        """
def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
""",
        [
            "assert edit_distance('horse', 'ros') == 3",
            "assert edit_distance('', 'abc') == 3",
            "assert edit_distance('abc', 'abc') == 0",
            "assert edit_distance('intention', 'execution') == 5",
            "assert edit_distance('a' * 1000, 'b' * 1000) == 1000",
        ],
    ),
    (
        "is_anagram",
        "写 is_anagram(a, b)，判断两个字符串是不是字母异位词（字母相同、顺序不同也算），忽略大小写和空格。",
        "is_anagram",
        """
def is_anagram(a, b):
    norm = lambda s: sorted(s.replace(' ', '').lower())
    return norm(a) == norm(b)
""",
        [
            "assert is_anagram('Listen', 'Silent') is True",
            "assert is_anagram('Dormitory', 'dirty room') is True",
            "assert is_anagram('abc', 'abd') is False",
            "assert is_anagram('', '') is True",
            "assert is_anagram('aab', 'abb') is False",
        ],
    ),
    (
        "caesar_cipher",
        "写凯撒密码函数 caesar_cipher(text, shift)：只移动英文字母，保持大小写，其他字符不变；shift 可以是负数，也可以大于 26。",
        "caesar_cipher",
        """
def caesar_cipher(text, shift):
    out = []
    for c in text:
        if 'a' <= c <= 'z':
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        elif 'A' <= c <= 'Z':
            out.append(chr((ord(c) - 65 + shift) % 26 + 65))
        else:
            out.append(c)
    return ''.join(out)
""",
        [
            "assert caesar_cipher('abc', 1) == 'bcd'",
            "assert caesar_cipher('xyz', 3) == 'abc'",
            "assert caesar_cipher('Hello, World!', 29) == 'Khoor, Zruog!'",
            "assert caesar_cipher('bcd', -1) == 'abc'",
            "assert caesar_cipher('', 5) == ''",
        ],
    ),
    (
        "to_binary",
        "写 to_binary(n)，把整数转成二进制字符串（不要 '0b' 前缀）；0 返回 '0'，负数在前面加 '-'。",
        "to_binary",
        """
def to_binary(n):
    return ('-' if n < 0 else '') + format(abs(n), 'b')
""",
        [
            "assert to_binary(5) == '101'",
            "assert to_binary(0) == '0'",
            "assert to_binary(-6) == '-110'",
            "assert to_binary(1024) == '10000000000'",
        ],
    ),
    (
        "digit_sum",
        "写 digit_sum(n) 返回整数各位数字之和，负数按它的绝对值算。",
        "digit_sum",
        """
def digit_sum(n):
    return sum(int(d) for d in str(abs(n)))
""",
        [
            "assert digit_sum(1234) == 10",
            "assert digit_sum(0) == 0",
            "assert digit_sum(-987) == 24",
            "assert digit_sum(10 ** 50) == 1",
        ],
    ),
    (
        "pascal_triangle",
        "写 pascal_triangle(n)，返回杨辉三角的前 n 行（列表的列表），n 为 0 时返回空列表。",
        "pascal_triangle",
        """
def pascal_triangle(n):
    rows = []
    for i in range(n):
        row = [1] * (i + 1)
        for j in range(1, i):
            row[j] = rows[-1][j - 1] + rows[-1][j]
        rows.append(row)
    return rows
""",
        [
            "assert pascal_triangle(0) == []",
            "assert pascal_triangle(1) == [[1]]",
            "assert pascal_triangle(4) == [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1]]",
            "assert pascal_triangle(30)[-1][15] == 77558760",
        ],
    ),
    (
        "missing_number",
        "写 missing_number(nums)：列表里是 0 到 n 这 n+1 个整数中的 n 个（顺序打乱），找出缺的那个。列表可能有一百万个数。",
        "missing_number",
        """
def missing_number(nums):
    n = len(nums)
    return n * (n + 1) // 2 - sum(nums)
""",
        [
            "assert missing_number([3, 0, 1]) == 2",
            "assert missing_number([0]) == 1",
            "assert missing_number([1]) == 0",
            "assert missing_number([]) == 0",
            "big = list(range(1000001))\nbig.remove(123457)\nassert missing_number(big[::-1]) == 123457",
        ],
    ),
    (
        "median",
        "写 median(nums) 求中位数：个数为偶数时取中间两个数的平均值；空列表抛出 ValueError；不能修改传进来的列表。",
        "median",
        """
def median(nums):
    if not nums:
        raise ValueError('median of an empty list')
    s = sorted(nums)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
""",
        [
            "assert median([3, 1, 2]) == 2",
            "assert median([4, 1, 3, 2]) == 2.5",
            "assert median([5]) == 5",
            "data = [3, 1, 2]\nmedian(data)\nassert data == [3, 1, 2]",
            "import pytest\nwith pytest.raises(ValueError):\n    median([])",
        ],
    ),
    (
        "title_case",
        '写 title_case(s)：把英文句子中每个单词（用空格分开）的首字母大写、其余字母小写，例如 "don\'t STOP" 变成 "Don\'t Stop"。',
        "title_case",
        """
def title_case(s):
    return ' '.join(w[:1].upper() + w[1:].lower() for w in s.split(' '))
""",
        [
            'assert title_case("don\'t STOP") == "Don\'t Stop"',
            "assert title_case('hello world') == 'Hello World'",
            "assert title_case('') == ''",
            "assert title_case('a') == 'A'",
        ],
    ),
    (
        "split_bill",
        "写 split_bill(total_cents, n)：把以分为单位的总金额尽量平均地分给 n 个人，除不尽多出来的几分钱从第一个人开始每人多分一分，返回每人金额的列表；n 小于等于 0 抛出 ValueError。",
        "split_bill",
        """
def split_bill(total_cents, n):
    if n <= 0:
        raise ValueError(n)
    q, r = divmod(total_cents, n)
    return [q + 1] * r + [q] * (n - r)
""",
        [
            "assert split_bill(100, 3) == [34, 33, 33]",
            "assert split_bill(90, 3) == [30, 30, 30]",
            "assert split_bill(1, 2) == [1, 0]",
            "assert sum(split_bill(1001, 7)) == 1001",
            "import pytest\nwith pytest.raises(ValueError):\n    split_bill(100, 0)",
        ],
    ),
    (
        "safe_divide",
        "写 safe_divide(a, b)，返回 a 除以 b 的结果；b 为 0 时不要报错，返回 None。",
        "safe_divide",
        """
def safe_divide(a, b):
    return None if b == 0 else a / b
""",
        [
            "assert safe_divide(6, 3) == 2",
            "assert safe_divide(1, 0) is None",
            "assert safe_divide(0, 5) == 0",
            "assert safe_divide(-3, 2) == -1.5",
        ],
    ),
    (
        "list_diff",
        "写 list_diff(a, b)：返回在列表 a 中但不在列表 b 中的元素，保持 a 里的顺序和重复。两个列表都可能有十万个元素。",
        "list_diff",
        """
def list_diff(a, b):
    drop = set(b)
    return [x for x in a if x not in drop]
""",
        [
            "assert list_diff([1, 2, 2, 3], [2]) == [1, 3]",
            "assert list_diff([], [1]) == []",
            "assert list_diff([1, 1], []) == [1, 1]",
            "assert list_diff(list(range(100000)), list(range(1, 100000))) == [0]",
        ],
    ),
    (
        "camel_to_snake",
        "写 camel_to_snake(name)，把驼峰命名转成下划线命名，例如 'userName' 变成 'user_name'，'HTTPServer' 变成 'http_server'，'getHTTPResponseCode' 变成 'get_http_response_code'；已经是下划线命名的保持不变。",
        "camel_to_snake",
        """
import re
def camel_to_snake(name):
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\\1_\\2', name)
    s = re.sub(r'([a-z0-9])([A-Z])', r'\\1_\\2', s)
    return s.lower()
""",
        [
            "assert camel_to_snake('userName') == 'user_name'",
            "assert camel_to_snake('HTTPServer') == 'http_server'",
            "assert camel_to_snake('getHTTPResponseCode') == 'get_http_response_code'",
            "assert camel_to_snake('already_snake') == 'already_snake'",
            "assert camel_to_snake('a') == 'a'",
        ],
    ),
    (
        "snake_to_camel",
        "写 snake_to_camel(name)：把下划线命名转成小驼峰，例如 'user_name' 变成 'userName'；连续的多个下划线当作一个。",
        "snake_to_camel",
        """
def snake_to_camel(name):
    parts = [p for p in name.split('_') if p]
    if not parts:
        return ''
    return parts[0] + ''.join(p[:1].upper() + p[1:] for p in parts[1:])
""",
        [
            "assert snake_to_camel('user_name') == 'userName'",
            "assert snake_to_camel('a__b') == 'aB'",
            "assert snake_to_camel('single') == 'single'",
            "assert snake_to_camel('get_http_code') == 'getHttpCode'",
        ],
    ),
    (
        "group_by_key",
        "写 group_by_key(records, key)：records 是字典组成的列表，按字段 key 的值分组，返回 {值: [记录, ...]} 的字典，组内保持原顺序；没有这个字段的记录放到 None 这一组。",
        "group_by_key",
        """
def group_by_key(records, key):
    groups = {}
    for r in records:
        groups.setdefault(r.get(key), []).append(r)
    return groups
""",
        [
            "assert group_by_key([{'t': 'a', 'v': 1}, {'t': 'b'}, {'t': 'a', 'v': 2}], 't') == {'a': [{'t': 'a', 'v': 1}, {'t': 'a', 'v': 2}], 'b': [{'t': 'b'}]}",
            "assert group_by_key([], 't') == {}",
            "assert group_by_key([{'x': 1}], 't') == {None: [{'x': 1}]}",
        ],
    ),
    (
        "kth_smallest",
        "写 kth_smallest(nums, k)，返回列表中第 k 小的数（k 从 1 开始，重复的数分别计数）；k 小于 1 或大于列表长度时抛出 ValueError。",
        "kth_smallest",
        """
def kth_smallest(nums, k):
    if not 1 <= k <= len(nums):
        raise ValueError(k)
    return sorted(nums)[k - 1]
""",
        [
            "assert kth_smallest([3, 1, 2], 1) == 1",
            "assert kth_smallest([3, 1, 2], 3) == 3",
            "assert kth_smallest([5, 5, 1], 2) == 5",
            "import pytest\nwith pytest.raises(ValueError):\n    kth_smallest([1], 2)",
            "import pytest\nwith pytest.raises(ValueError):\n    kth_smallest([1], 0)",
        ],
    ),
    (
        "prime_factors",
        "写 prime_factors(n)，返回 n 的质因数分解（从小到大，重复的因数要重复列出），例如 12 返回 [2, 2, 3]；n 小于 2 返回空列表。n 可能大到 10 的 12 次方。",
        "prime_factors",
        """
def prime_factors(n):
    out = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out
""",
        [
            "assert prime_factors(12) == [2, 2, 3]",
            "assert prime_factors(1) == []",
            "assert prime_factors(0) == []",
            "assert prime_factors(13) == [13]",
            "assert prime_factors(999999999989) == [999999999989]",
            "assert prime_factors(2 ** 40) == [2] * 40",
        ],
    ),
    (
        "register_user",
        "创建一个用户注册功能：写函数 register(users, username)，users 是已注册用户名的集合；用户名为空（或者只有空格）或已存在时抛出 ValueError，否则把用户名加入集合并返回 True。",
        "register",
        """
def register(users, username):
    if not username or not username.strip() or username in users:
        raise ValueError(username)
    users.add(username)
    return True
""",
        [
            "u = set()\nassert register(u, 'alice') is True and 'alice' in u",
            "import pytest\nu = {'bob'}\nwith pytest.raises(ValueError):\n    register(u, 'bob')",
            "import pytest\nwith pytest.raises(ValueError):\n    register(set(), '')",
            "import pytest\nwith pytest.raises(ValueError):\n    register(set(), '   ')",
        ],
    ),
    (
        "quick_sort",
        "实现快速排序 quick_sort(nums)，返回排好序的新列表，不修改原列表。要能处理有大量重复元素和已经排好序的十万个元素的列表。",
        "quick_sort",
        """
def quick_sort(nums):
    return sorted(nums)
""",
        [
            "assert quick_sort([3, 1, 2]) == [1, 2, 3]",
            "assert quick_sort([]) == []",
            "data = [2, 1]\nquick_sort(data)\nassert data == [2, 1]",
            "assert quick_sort([5] * 100000) == [5] * 100000",
            "assert quick_sort(list(range(100000))) == list(range(100000))",
            "assert quick_sort([-1, 3, -5]) == [-5, -1, 3]",
        ],
    ),
    (
        "longest_word",
        "写 longest_word(sentence)：返回英文句子中最长的单词（去掉标点），长度相同时返回最先出现的；句子里没有单词时返回空字符串。",
        "longest_word",
        """
import re
def longest_word(sentence):
    words = re.findall(r'[A-Za-z0-9]+', sentence)
    return max(words, key=len) if words else ''
""",
        [
            "assert longest_word('I love programming!') == 'programming'",
            "assert longest_word('ab cd') == 'ab'",
            "assert longest_word('') == ''",
            "assert longest_word('...') == ''",
            "assert longest_word('hi, there.') == 'there'",
        ],
    ),
]


def _computed() -> dict[str, object]:
    """Expected values too long to write by hand, from the reference solutions."""
    scope: dict[str, object] = {}
    for name in ("fibonacci", "climb_stairs", "coin_change", "lis_length"):
        exec(textwrap.dedent(_task(name)[3]), scope)  # our own reference code, not a model's
    fib, stairs, coins, lis = (scope[n] for n in ("fibonacci", "climb_stairs", "coin_change", "lis_length"))
    return {
        "fib10000": fib(10000) % 1000000007,  # type: ignore[operator]
        "stairs1000": stairs(1000) % 1000000007,  # type: ignore[operator]
        "coins10000": coins([7, 13, 29], 10000),  # type: ignore[operator]
        "lis_big": lis([(i * 7919) % 100003 for i in range(100000)]),  # type: ignore[operator]
    }


def _task(task_id: str) -> tuple[str, str, str, str, list[str]]:
    return next(t for t in TASKS if t[0] == task_id)


def _fill(test: str, values: dict[str, object]) -> str:
    for key, value in values.items():
        test = test.replace("{" + key + "}", str(value))
    return test


def records() -> list[dict[str, object]]:
    """The tasks in the simple shape `aigc eval` reads, plus their reference solutions."""
    values = _computed()
    return [
        {
            "task_id": f"zh/{task_id}",
            "prompt": prompt,
            "entry_point": entry,
            "tests": [_fill(t, values) for t in tests],
            "reference": textwrap.dedent(reference).strip() + "\n",
        }
        for task_id, prompt, entry, reference, tests in TASKS
    ]


def split(tasks: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    ordered = sorted(tasks, key=lambda t: hashlib.sha256(str(t["task_id"]).encode()).hexdigest())
    half = len(ordered) // 2
    return ordered[:half], ordered[half:]


def main() -> None:
    dev, held = split(records())
    DATA.mkdir(exist_ok=True)
    for name, part in (("zh-dev.jsonl", dev), ("zh-held.jsonl", held)):
        lines = [json.dumps(t, ensure_ascii=False) for t in part]
        (DATA / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(part)} tasks -> {(DATA / name).relative_to(DATA.parent.parent)}")


if __name__ == "__main__":
    main()
