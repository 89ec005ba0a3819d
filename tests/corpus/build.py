#!/usr/bin/env python3
"""Build the labelled JSONL corpora of tests/corpus/ from the hand-written sources in src/.

    python3 tests/corpus/build.py          # writes threats.jsonl, conversations.jsonl, hard_negatives.jsonl
    python3 tests/corpus/build.py --check  # fails if the committed JSONL differ from what src/ gives

Standard library only, deterministic. Source format (src/*.txt), one directive or message per line:

    # comment                      ignored (also blank lines)
    @lang es                       language of the following messages
    @source fbi-2022               key of the source (see SOURCES below and SOURCES.md)
    @label benign                  label of the following lines (default: file's default)
    @conv conv-en-001              starts a conversation (conversations.txt only); lines until the
                                   next @conv belong to it, oldest first
    ~fw  text                      the text is written, by this script, in an obfuscated form:
                                   ~fw fullwidth, ~bold/~ital/~script/~mono styled maths letters,
                                   ~cyr Cyrillic/Greek look-alike letters, ~zw zero-width characters
                                   inside words. Every other obfuscation (l33t, spacing, dots,
                                   stretched letters, emoji) is typed by hand in the source.
    any other line                 one message, as typed

A literal line starting with @ or # or ~ can be written with a leading backslash.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"

SOURCES = {
    "fbi-2022": "FBI/HSI/NCMEC national public safety alert on financial sextortion of minors (Dec 2022)",
    "fbi-2024": "FBI warning 'The financially motivated sextortion threat' (Jan 2024)",
    "fbi-psa-2023": "FBI IC3 PSA I-011923-PSA on sextortion of teens (Jan 2023)",
    "fbi-ai-2023": "FBI IC3 PSA I-060523-PSA: manipulated/AI explicit images used for sextortion (Jun 2023)",
    "thorn-ncmec-2024": "Thorn & NCMEC 'Trends in Financial Sextortion' (Jun 2024): 'ruin your life', Cash App, gift cards",
    "ncmec": "NCMEC CyberTipline sextortion reports and blog (2022-2024)",
    "ncri-2024": "NCRI 'A Digital Pandemic' on Yahoo Boys sextortion scripts (Jan 2024)",
    "nca-2024": "NCA/CEOP alert to education professionals on financially motivated sextortion (Apr 2024)",
    "nca-2025": "NCA campaign on sextortion of teenage boys (Mar 2025): pay within minutes, family/school",
    "demay-case": "US v. Ogoshi (Jordan DeMay case, 2022-2024), court and press reports of the script",
    "cybertip-ca": "Cybertip.ca alerts on sextortion of Canadian youth (2022-2024)",
    "esafety": "eSafety Commissioner (Australia) sextortion and image-based abuse guidance",
    "accce": "AFP/ACCCE sextortion alerts to Australian teens and parents (2022-2024)",
    "europol": "Europol 'Online sexual coercion and extortion' report and Say No! campaign",
    "webcam-email": "Published 'I hacked your webcam / I know your password' extortion e-mails (Krebs 2018 and later variants; IC3, Action Fraud warnings)",
    "webcam-email-eu": "National warnings quoting the fake-webcam e-mails (Cybermalveillance.gouv.fr, Polizia Postale, INCIBE, Verbraucherzentrale/BSI, Fraudehelpdesk)",
    "india-videocall": "Delhi Police cyber cell sextortion advisory; NDTV, Rest of World, Indian press on recorded nude video calls and fake police",
    "fake-police": "News and police warnings on fake-officer follow-ups: 'she is a minor', 'pay to close the case'",
    "revenge": "Revenge Porn Helpline (UK), eSafety image-based abuse, Thorn research on sextortion by partners and ex-partners",
    "philippines": "Reports of Philippine sextortion operations (Operation Strikeback 2014, Daniel Perry case) and PNP warnings; GCash",
    "brouteurs": "Reports of West African (Cote d'Ivoire) French-language webcam blackmail ('brouteurs'), PCS/Transcash coupons",
    "brazil": "SaferNet Brasil and Brazilian police reports of sextorsao, payments by Pix",
    "indonesia": "Indonesian police and press on pemerasan after video call sex (VCS), payments via bank transfer, DANA/OVO",
    "arabic": "Arab-world police and press on electronic blackmail (ibtizaz iliktruni): Saudi, UAE, Egypt, Morocco",
    "europe-police": "European police warnings on sextortion (Polizei-Beratung, Politie, Policia Nacional, Polizia Postale)",
    "handmade": "Written for this project after the public sources above",
    # benign material
    "benign-handmade": "Written for this project: innocent messages sharing the vocabulary",
    "awareness": "Written for this project in the style of public awareness posts (police, schools, news)",
}

# --- obfuscations applied by ~ markers ---------------------------------------------------------------
def _styled(text: str, upper0: int, lower0: int, digit0: int | None = None) -> str:
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(chr(upper0 + ord(ch) - 65))
        elif "a" <= ch <= "z":
            out.append(chr(lower0 + ord(ch) - 97))
        elif digit0 is not None and "0" <= ch <= "9":
            out.append(chr(digit0 + ord(ch) - 48))
        else:
            out.append(ch)
    return "".join(out)


def fullwidth(t: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in t)


def bold(t: str) -> str:
    return _styled(t, 0x1D400, 0x1D41A, 0x1D7CE)


def italic(t: str) -> str:  # maths italic has a hole at h (U+210E)
    return _styled(t, 0x1D434, 0x1D44E).replace(chr(0x1D44E + 7), "\u210E")


def mono(t: str) -> str:
    return _styled(t, 0x1D670, 0x1D68A, 0x1D7F6)


def sans_bold(t: str) -> str:
    return _styled(t, 0x1D5D4, 0x1D5EE, 0x1D7EC)


HOMO = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і",
        "A": "Α", "B": "Β", "E": "Ε", "H": "Η", "K": "Κ", "M": "Μ", "O": "Ο", "P": "Ρ", "T": "Τ",
        "X": "Χ", "s": "ѕ", "n": "ո"}


def cyr(t: str) -> str:
    # replace every second eligible letter, so the word looks Latin but is mixed-script
    out, k = [], 0
    for ch in t:
        if ch in HOMO:
            k += 1
            out.append(HOMO[ch] if k % 2 else ch)
        else:
            out.append(ch)
    return "".join(out)


ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"]


def zw(t: str) -> str:
    out, k = [], 0
    for i, ch in enumerate(t):
        out.append(ch)
        if ch.isalpha() and i + 1 < len(t) and t[i + 1].isalpha():
            k += 1
            if k % 2 == 0:
                out.append(ZW[(k // 2) % len(ZW)])
    return "".join(out)


OBF = {"fw": fullwidth, "bold": bold, "ital": italic, "mono": mono, "sans": sans_bold,
       "cyr": cyr, "zw": zw}


def parse(path: Path, default_label: str):
    """Yield dicts with text, label, lang, source, obf, conversation (or None)."""
    lang, source, label, conv = None, None, default_label, None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            key, _, val = line[1:].partition(" ")
            val = val.strip()
            if key == "lang":
                lang = val
            elif key == "source":
                if val not in SOURCES:
                    sys.exit(f"{path}:{n}: unknown source key {val!r}")
                source = val
            elif key == "label":
                label = val
            elif key == "conv":
                conv = val
            else:
                sys.exit(f"{path}:{n}: unknown directive @{key}")
            continue
        obf = None
        if line.startswith("~"):
            key, _, rest = line[1:].partition(" ")
            if key not in OBF:
                sys.exit(f"{path}:{n}: unknown obfuscation ~{key}")
            obf, line = key, rest.strip()
        elif line.startswith("\\"):
            line = line[1:]
        if not lang or not source:
            sys.exit(f"{path}:{n}: message before @lang/@source")
        text = OBF[obf](line) if obf else line
        yield {"text": text, "label": label, "lang": lang, "source": source, "obf": obf,
               "conversation": conv, "line": n, "file": path.name}


def stable_int(s: str, mod: int) -> int:
    return int(hashlib.sha256(s.encode()).hexdigest()[:12], 16) % mod


def build() -> dict[str, str]:
    out: dict[str, list[dict]] = {"threats.jsonl": [], "conversations.jsonl": [], "hard_negatives.jsonl": []}
    for f in sorted((SRC / "threats").glob("*.txt")):
        for r in parse(f, "extortion"):
            out["threats.jsonl"].append({"text": r["text"], "label": r["label"], "lang": r["lang"],
                                         "source": SOURCES[r["source"]]})
    for f in sorted((SRC / "hard_negatives").glob("*.txt")):
        for r in parse(f, "benign"):
            out["hard_negatives.jsonl"].append({"text": r["text"], "label": r["label"], "lang": r["lang"],
                                                "source": SOURCES[r["source"]]})
    # conversations: times are deterministic, 1-7 minutes apart, from a per-conversation start
    base = 1735689600000  # 2025-01-01T00:00:00Z
    convs: dict[str, list[dict]] = {}
    order: list[str] = []
    for f in sorted((SRC / "conversations").glob("*.txt")):
        for r in parse(f, "extortion"):
            if not r["conversation"]:
                sys.exit(f"{f}:{r['line']}: conversation line before @conv")
            if r["conversation"] not in convs:
                convs[r["conversation"]] = []
                order.append(r["conversation"])
            convs[r["conversation"]].append(r)
    for cid in order:
        msgs = convs[cid]
        t = base + stable_int(cid, 300 * 24 * 3600) * 1000
        for i, r in enumerate(msgs):
            if i:
                t += (1 + stable_int(f"{cid}/{i}", 7)) * 60000 + stable_int(f"{cid}/{i}/s", 60000)
            out["conversations.jsonl"].append({"text": r["text"], "label": r["label"], "conversation": cid,
                                               "lang": r["lang"], "time": t, "source": SOURCES[r["source"]]})
    # sanity checks
    for cid, msgs in convs.items():
        labels = {m["label"] for m in msgs}
        if len(labels) != 1:
            sys.exit(f"conversation {cid} mixes labels {labels}")
        want = "benign" if cid.startswith("benign-") else "extortion"
        if labels != {want}:
            sys.exit(f"conversation {cid}: label {labels} but id says {want}")
        if not 3 <= len(msgs) <= 12:
            sys.exit(f"conversation {cid} has {len(msgs)} messages (3-12 wanted)")
    for name, rows in out.items():
        seen = set()
        for r in rows:
            if r["text"] in seen and name != "conversations.jsonl":
                sys.exit(f"{name}: duplicate line {r['text']!r}")
            seen.add(r["text"])
    return {name: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) for name, rows in out.items()}


def main() -> int:
    check = "--check" in sys.argv[1:]
    files = build()
    bad = 0
    for name, text in files.items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{name} is out of date: run python3 tests/corpus/build.py", file=sys.stderr)
                bad = 1
        else:
            path.write_text(text, encoding="utf-8")
        print(f"{name}: {text.count(chr(10))} lines")
    return bad


if __name__ == "__main__":
    sys.exit(main())
