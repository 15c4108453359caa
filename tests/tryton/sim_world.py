#!/usr/bin/env python3
"""Writes a waybill-sim world's customers and orders as JSON for
`seed.py --mirror FILE`: {"customers": [...], "orders": [...]}, every page of
the ERP's /v1/customers and /v1/orders (stdlib only).

usage: sim_world.py SIM_JSON > world.json
SIM_JSON is the JSON line waybill-sim prints at start (services, tokens).
"""
import json
import sys
import urllib.parse
import urllib.request


def pages(base, token, name):
    out, after = [], None
    while True:
        q = {'limit': 1000}
        if after:
            q['after'] = after
        req = urllib.request.Request('%s/v1/%s?%s' % (
            base, name, urllib.parse.urlencode(q)))
        req.add_header('Authorization', 'Bearer ' + token)
        with urllib.request.urlopen(req, timeout=60) as r:
            page = json.load(r)
        out += page['data']
        if not page.get('has_more'):
            return out
        after = page['next']


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: sim_world.py SIM_JSON > world.json')
    with open(sys.argv[1]) as f:
        sim = json.loads(f.readline())
    base = sim['services']['erp']['url']
    tok = sim['tokens']['dispatcher']
    json.dump({n: pages(base, tok, n) for n in ('customers', 'orders')},
              sys.stdout)


if __name__ == '__main__':
    main()
