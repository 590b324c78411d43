#!/usr/bin/python3
"""plc-web's API on 127.0.0.1:8080 for the systemd suite's shell checks, one call each.

  vm-web.py SESSION login USER PASSWORD      log in; SESSION (a file) keeps the
                                             cookie and the CSRF token
  vm-web.py SESSION METHOD PATH [JSON]       a request in that session

Prints the status and the JSON answer with its keys sorted (200 {"a": 1, ...}),
so that a check compares one line. Exits 0 when it got an answer.
"""
import http.client
import json
import re
import sys

session, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
headers, body = {"Content-Type": "application/json"}, None
if method == "login":
    method, path, body = "POST", "/api/login", json.dumps({"user": sys.argv[3],
                                                           "password": sys.argv[4]})
else:
    with open(session) as f:
        state = json.load(f)
    headers.update({"Cookie": state["cookie"], "X-CSRF-Token": state["csrf"]})
    body = sys.argv[4] if len(sys.argv) > 4 else None
conn = http.client.HTTPConnection("127.0.0.1", 8080, timeout=30)
conn.request(method, path, body=body, headers=headers)
resp = conn.getresponse()
answer = json.loads(resp.read() or b"null")
if path == "/api/login" and resp.status == 200:
    cookie = re.match(r"(plc_session=[0-9a-f]+)", resp.getheader("Set-Cookie", "")).group(1)
    with open(session, "w") as f:
        json.dump({"cookie": cookie, "csrf": answer["csrf"]}, f)
    answer["csrf"] = "..."  # random: not for comparing
print(resp.status, json.dumps(answer, sort_keys=True))
