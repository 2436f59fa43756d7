"""The unified social credit code (统一社会信用代码, USCC) per GB 32100-2015.

Layout of the 18 characters (positions are 1-based, as the standard counts them):

    1      registration management department (登记管理部门代码)
    2      institution category within that department (机构类别代码)
    3-8    administrative division code of the registering authority (GB/T 2260, 6 digits)
    9-17   the subject identifier: the organisation code of GB 11714 (8 characters and its
           own check character at position 17)
    18     check character, ISO 7064 MOD 31-3 over positions 1-17

The result carries reason codes, never sentences: ``bot.domain.reasons`` turns them into
words in the reader's language. Errors make a code unusable; warnings are facts a person
should see but that real registries hold (a failing organisation-code check character at
position 17 is the common one: codes issued to individual businesses were never checked).
Directories exported by other systems (provincial platforms, the national credit-publicity
system) put the old business registration number (注册号) in the same column as the USCC
(注册号/统一社会信用代码). The value decides what it is (``check_uscc``):

- 18 characters: a USCC, checked as above (a malformed one is an error);
- 15 digits: a registration number of GS 15-2006 (6 digits of the registering authority, 8
  of sequence, 1 check digit by ISO 7064 MOD 11,10: ``gs15_check_digit``). A failing check
  digit is still only a warning: many numbers issued before 2007 predate the rule;
- 13 digits: the registration number offices issued before GS 15-2006;
- the older written forms (企独苏锡总字第001234号, 工商企合字第000123号): some Chinese
  characters, then 字 and/or 第, then 3 to 12 digits or letters, an optional 号 and an
  optional note in parentheses;

each of them kept as the registration number with a warning. Anything else is an error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from operator import mul
from types import MappingProxyType
from typing import Final

# The 31 characters of GB 32100-2015 table 1: digits and the upper-case Latin letters
# without I, O, S, V and Z (too easy to confuse with 1, 0, 5, U and 2).
CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: Final = MappingProxyType({ch: i for i, ch in enumerate(CHARSET)})
# Weight of position i (1-based) is 3^(i-1) mod 31.
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))

# GB 32100-2015 appendix A (登记管理部门代码和机构类别代码), with amendment no. 1 adding
# A (中央军委改革和编制办公室) and the later N (农业: rural collective economic
# organisations). Rows: (department code, department, category code, category).
APPENDIX_A: Final = (
    ("1", "机构编制", "1", "机关"),
    ("1", "机构编制", "2", "事业单位"),
    ("1", "机构编制", "3", "中央编办直接管理机构编制的群众团体"),
    ("1", "机构编制", "9", "其他"),
    ("2", "外交", "1", "外国常驻新闻机构"),
    ("2", "外交", "9", "其他"),
    ("3", "司法行政", "1", "律师执业机构"),
    ("3", "司法行政", "2", "公证处"),
    ("3", "司法行政", "3", "基层法律服务所"),
    ("3", "司法行政", "4", "司法鉴定机构"),
    ("3", "司法行政", "5", "仲裁委员会"),
    ("3", "司法行政", "9", "其他"),
    ("4", "文化", "1", "外国在华文化中心"),
    ("4", "文化", "9", "其他"),
    ("5", "民政", "1", "社会团体"),
    ("5", "民政", "2", "民办非企业单位"),
    ("5", "民政", "3", "基金会"),
    ("5", "民政", "9", "其他"),
    ("6", "旅游", "1", "外国旅游部门常驻代表机构"),
    ("6", "旅游", "2", "港澳台地区旅游部门常驻内地（大陆）代表机构"),
    ("6", "旅游", "9", "其他"),
    ("7", "宗教", "1", "宗教活动场所"),
    ("7", "宗教", "2", "宗教院校"),
    ("7", "宗教", "9", "其他"),
    ("8", "工会", "1", "基层工会"),
    ("8", "工会", "9", "其他"),
    # 工商 has no "9 其他": every market entity is one of the three.
    ("9", "工商", "1", "企业"),
    ("9", "工商", "2", "个体工商户"),
    ("9", "工商", "3", "农民专业合作社"),
    ("A", "中央军委改革和编制办公室", "1", "军队事业单位"),
    ("A", "中央军委改革和编制办公室", "9", "其他"),
    ("N", "农业", "1", "组级集体经济组织"),
    ("N", "农业", "2", "村级集体经济组织"),
    ("N", "农业", "3", "乡镇级集体经济组织"),
    ("N", "农业", "9", "其他"),
    # 其他: the standard does not subdivide and always writes 1.
    ("Y", "其他", "1", "其他"),
)
DEPARTMENTS: Final = MappingProxyType({dept: name for dept, name, _, _ in APPENDIX_A})
CATEGORIES: Final = MappingProxyType({dept + cat: name for dept, _, cat, name in APPENDIX_A})

# First two digits of a GB/T 2260 division code: the provinces, plus 10, which the
# national registration authority (国家市场监督管理总局 and its predecessors) uses.
PROVINCE_PREFIXES: Final = frozenset(
    "10 11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "  # noqa: SIM905
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

# GB 11714 organisation code: weights of its 8 body characters; body characters are
# digits (0-9) or upper-case letters (A=10 ... Z=35).
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

# Reason codes (stable: stored in error reports and translated through bot.domain.reasons).
LENGTH: Final = "uscc.length"
CHARSET_ERROR: Final = "uscc.charset"
DEPARTMENT: Final = "uscc.department"
CATEGORY: Final = "uscc.category"
REGION: Final = "uscc.region"
REGION_UNKNOWN: Final = "uscc.region_unknown"
CHECK_DIGIT: Final = "uscc.check_digit"
ORG_CODE_CHECK: Final = "uscc.org_code_check"
OLD_REGNO: Final = "uscc.old_regno"
OLD_REGNO_CHECK: Final = "uscc.old_regno_check"
OLD_REGNO_13: Final = "uscc.old_regno_13"
OLD_REGNO_WRITTEN: Final = "uscc.old_regno_written"

# Spaces and dashes people type inside a code to group its characters; removed before
# checking, never reported.
_SEPARATORS: Final = re.compile(r"[\s\-_.·]+")
# The old registration numbers (see the module docstring), compiled once: these run for
# every cell of such a column that is not a clean USCC.
# ASCII digits only: \d would take other scripts' digits, which NFKC leaves as they are.
_DIGITS_15_OR_13: Final = re.compile(r"[0-9]{15}|[0-9]{13}")
_WRITTEN_REGNO: Final = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff]{1,12}(?:字第|字|第)[0-9A-Z]{3,12}号?(?:\([^()]{1,8}\))?"
)
# ISO 7064 MOD 11,10: the running value P after each digit, by (P, digit); P starts at 10.
_MOD_11_10: Final = tuple(
    tuple(((p + d) % 10 or 10) * 2 % 11 for d in range(10)) for p in range(11)
)


@dataclass(frozen=True, slots=True)
class UsccCheck:
    """What ``check_uscc`` found.

    ``value`` is the normalised text (NFKC, upper case, separators removed), whatever its
    validity, so a message can quote it. ``old_regno`` is true when ``value`` is an old
    business registration number rather than a USCC (then ``errors`` is empty and
    ``warnings`` says which kind: ``uscc.old_regno`` and its siblings). ``params`` holds
    the values the reason sentences interpolate (for example ``chars`` for a charset
    error).
    """

    value: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    old_regno: bool = False
    params: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def ok(self) -> bool:
        """A usable 18-character USCC (warnings allowed, not an old registration number)."""
        return not self.errors and not self.old_regno


def normalise_uscc(raw: str) -> str:
    """NFKC (full-width Ａ１ -> A1), upper case, and grouping separators removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


def check_character(first17: str) -> str:
    """The position-18 check character of 17 characters over ``CHARSET``.

    ISO 7064 MOD 31-3 as GB 32100-2015 writes it: C18 = 31 - (sum of value*weight mod 31),
    where 31 means 0. Raises KeyError/ValueError for characters outside the charset or a
    wrong length: callers validate first.
    """
    if len(first17) != 17:
        raise ValueError("a USCC check character is computed over 17 characters")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_character(body8: str) -> str:
    """The GB 11714 check character for the 8 body characters of an organisation code.

    C9 = 11 - (sum of value*weight mod 11); 10 is written X and 11 is written 0.
    """
    total = sum(int(ch, 36) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def gs15_check_digit(first14: str) -> str:
    """The check digit of a 15-digit registration number (GS 15-2006 appendix A: ISO 7064
    MOD 11,10 hybrid). P starts at 10; for each of the 14 digits d, S = (P + d) mod 10
    (0 counts as 10) and P = 2S mod 11; the check digit c makes (P + c) mod 10 = 1."""
    p = 10
    for ch in first14:
        p = _MOD_11_10[p][ord(ch) - 48]
    return str((11 - p) % 10)


def old_regno_reason(value: str) -> str | None:
    """The warning for a normalised value that is an old registration number (15 digits,
    13 digits or a written form), or None when it is not one."""
    if _DIGITS_15_OR_13.fullmatch(value):
        if len(value) == 13:
            return OLD_REGNO_13
        return OLD_REGNO if gs15_check_digit(value[:14]) == value[14] else OLD_REGNO_CHECK
    if _WRITTEN_REGNO.fullmatch(value):
        return OLD_REGNO_WRITTEN
    return None


def check_uscc(raw: str) -> UsccCheck:
    """Check one USCC, or recognise an old registration number (see the module docstring).

    Length and charset errors stop the check (nothing further is meaningful); the
    department/category, region and check-character tests are all reported together so a
    person sees every problem at once.
    """
    value = normalise_uscc(raw)
    if (old := old_regno_reason(value)) is not None:
        return UsccCheck(value=value, warnings=(old,), old_regno=True)
    if len(value) != 18:
        return UsccCheck(
            value=value, errors=(LENGTH,), params=MappingProxyType({"length": str(len(value))})
        )
    bad = sorted({ch for ch in value if ch not in _VALUE})
    if bad:
        return UsccCheck(
            value=value,
            errors=(CHARSET_ERROR,),
            params=MappingProxyType({"chars": " ".join(bad)}),
        )

    errors: list[str] = []
    warnings: list[str] = []
    if value[0] not in DEPARTMENTS:
        errors.append(DEPARTMENT)
    elif value[:2] not in CATEGORIES:
        errors.append(CATEGORY)
    region = value[2:8]
    if not region.isdigit():
        errors.append(REGION)
    elif region[:2] not in PROVINCE_PREFIXES:
        warnings.append(REGION_UNKNOWN)
    if check_character(value[:17]) != value[17]:
        errors.append(CHECK_DIGIT)
    # The organisation code's own check is only worth a warning (see the module docstring);
    # and once the USCC itself is wrong, a second complaint about the same typo is noise.
    if not errors and org_code_check_character(value[8:16]) != value[16]:
        warnings.append(ORG_CODE_CHECK)
    return UsccCheck(value=value, errors=tuple(errors), warnings=tuple(warnings))


# --- the fast path: a code already written as a clean, valid USCC -----------------------------

# 18 characters of the charset, nothing else: no lower case, full-width forms or separators.
_CANONICAL: Final = re.compile(f"[{CHARSET}]{{18}}")
# Byte tables mapping a character to its value, so the weighted sums run in C (bytes.translate,
# map(mul), sum) instead of a Python loop: this runs for every row of a 100k-row import.
_VALUE_BYTES: Final = bytes.maketrans(CHARSET.encode("ascii"), bytes(range(31)))
_ORG_VALUE_BYTES: Final = bytes.maketrans(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", bytes(range(36)))
# GB 11714: C9 = 11 - (sum mod 11), 10 written X and 11 written 0; indexed by (sum mod 11).
_ORG_CHECK_BY_REMAINDER: Final = "0X987654321"


def is_clean(code: str) -> bool:
    """True when ``code`` is exactly what ``check_uscc`` would return for it with neither
    errors nor warnings: canonical (upper-case ASCII, no separators), a known department,
    category and province, and both check characters right.

    False says only "look closer" (``check_uscc`` then says what, if anything, is wrong).
    """
    if _CANONICAL.fullmatch(code) is None or code[:2] not in CATEGORIES:
        return False
    if not code[2:8].isdigit() or code[2:4] not in PROVINCE_PREFIXES:
        return False
    raw = code.encode("ascii")
    if CHARSET[-sum(map(mul, raw[:17].translate(_VALUE_BYTES), WEIGHTS)) % 31] != code[17]:
        return False
    org = sum(map(mul, raw[8:16].translate(_ORG_VALUE_BYTES), _ORG_WEIGHTS))
    return _ORG_CHECK_BY_REMAINDER[org % 11] == code[16]


# The kind of entity a USCC names, by its first two characters (registration department and
# institution category, appendix A): only 工商 (market supervision) registers market
# entities, and its three categories are the directory's three market kinds. Every other
# department and category (机关, 事业单位, 社会团体, 宗教活动场所, 村级集体经济组织, ...) says
# nothing the kinds can hold: an import stores such a record, and one with no USCC at all,
# as 其他 (other) unless the file has a kind column. docs/architecture.md §6 states the rule.
MARKET_KINDS: Final = MappingProxyType(
    {"91": "enterprise", "92": "individual", "93": "cooperative"}
)


def entity_kind(code: str | None) -> str | None:
    """The directory kind a USCC's department and category say (9-1 enterprise, 9-2
    individual business, 9-3 farmers' cooperative), else None."""
    return MARKET_KINDS.get((code or "")[:2])


def registry_category(code: str) -> tuple[str, str] | None:
    """(department, category) names for a code's first two characters, if the standard
    defines them."""
    category = CATEGORIES.get(code[:2])
    return None if category is None else (DEPARTMENTS[code[0]], category)
