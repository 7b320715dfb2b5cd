#!/usr/bin/env python3
"""toolchain/mkman.py SOURCE VERSION OUT: turns the man page source (a small markdown subset:
`# name(section) -- summary`, `## SECTION`, paragraphs, `* term:` definition lists with
indented bodies, 4-space indented examples, `code` and *emphasis*) into troff (man(7)).
Deterministic: no date is written (the .TH date field is the version)."""
import re
import sys


def inline(text):
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]*)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    text = re.sub(r"\*([^*]+)\*", lambda m: "\\fI" + m.group(1) + "\\fR", text)
    if text.startswith(".") or text.startswith("'"):
        text = "\\&" + text
    return text


def convert(src, version):
    out = []
    lines = src.splitlines()
    title = re.match(r"# (\S+)\((\d)\) -- (.*)", lines[0])
    if not title:
        raise SystemExit("mkman: first line must be '# name(N) -- summary'")
    name, section, summary = title.groups()
    out.append('.TH %s %s "%s" "bvisor" "bvisor manual"' % (name.upper(), section, version))
    out.append(".SH NAME")
    out.append("%s \\- %s" % (name, inline(summary)))
    para = []

    def flush():
        if para:
            out.append(inline(" ".join(para)))
            para.clear()

    for line in lines[1:]:
        if line.startswith("## "):
            flush()
            out.append(".SH " + line[3:].strip())
        elif line.startswith("* ") and line.rstrip().endswith(":"):
            flush()
            out.append(".TP")
            out.append(inline(line[2:].rstrip()[:-1]))
        elif line.startswith("    ") and line.strip():
            flush()
            out.append(".nf")
            out.append(".RS")
            out.append(inline(line[4:]))
            out.append(".RE")
            out.append(".fi")
        elif line.startswith("  ") and line.strip():
            para.append(line.strip())
        elif not line.strip():
            flush()
            if out and out[-1] not in (".PP", ".TP") and not out[-1].startswith(".SH"):
                out.append(".PP")
        else:
            para.append(line.strip())
    flush()
    while out and out[-1] == ".PP":
        out.pop()
    # A paragraph break right before a section heading is noise.
    out = [l for i, l in enumerate(out) if not (l == ".PP" and i + 1 < len(out) and out[i + 1].startswith(".SH"))]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: mkman.py SOURCE VERSION OUT")
    with open(sys.argv[1]) as f:
        text = convert(f.read(), sys.argv[2])
    with open(sys.argv[3], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
