#!/usr/bin/python3
"""An independent encoder for plan bodies, used as a differential oracle by
tests/unit/plan_random_test.cpp. Reads one JSON plan (bvisor-plan's JSON form) per
line on stdin and writes the hex of its canonical body per line, built with Debian's
python3-msgpack (not with this project's codec): struct = map in field order,
digest = list of 32 ints, enum = name, optional absent when None.
Run with /usr/bin/python3 (Debian's python, which sees python3-msgpack)."""
import json
import sys

import msgpack


def digest(hexstr):
    return list(bytes.fromhex(hexstr))


def body(j):
    target = {"argv": j["target"]["argv"], "envp": [list(p) for p in j["target"]["envp"]],
              "exe_slot": j["target"]["exe_slot"]}
    for key in ("user_namespace", "network_namespace"):
        if key in j["target"]:
            target[key] = {}
    if "seccomp" in j["target"]:
        s = j["target"]["seccomp"]
        target["seccomp"] = {"deny_new_tasks": s["deny_new_tasks"],
                             "deny_inet_sockets": s["deny_inet_sockets"]}
    return {
        "attempt_id": digest(j["attempt_id"]),
        "plan_id": digest(j["plan_id"]),
        "h_a": digest(j["h_a"]),
        "h_p": digest(j["h_p"]),
        "h_l": digest(j["h_l"]),
        "lowering": {"entries": [
            {"id": e["id"], "version": e["version"], "phase_code": e["phase_code"],
             "param_digest": digest(e["param_digest"]), "decl_digest": digest(e["decl_digest"])}
            for e in j["lowering"]["entries"]]},
        "descriptor_table": [
            {"slot_index": s["slot_index"], "role": s["role"],
             "expected": {"kind": s["expected"]["kind"], "writable": s["expected"]["writable"]}}
            for s in j["descriptor_table"]],
        "target": target,
    }


for line in sys.stdin:
    if line.strip():
        sys.stdout.write(msgpack.packb(body(json.loads(line)), use_bin_type=True).hex() + "\n")
