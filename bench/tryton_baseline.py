#!/usr/bin/env python3
"""The plain script a user would write to copy Tryton's lists into SQLite:
log in, search_read each list in pages over JSON-RPC, one table per list.
The baseline of bench/tryton.sh (stdlib only: urllib, json, sqlite3).

usage: tryton_baseline.py URL DATABASE USER PASSWORD_FILE OUT.sqlite [PAGE]
Prints one line per list and a last one:
  baseline: N records in S s, R records/s
"""
import base64
import json
import sqlite3
import sys
import time
import urllib.request

# The same lists and facts Waybill reads (connectors/tryton_page.c): the
# customer's code and payment days, the invoice's sale number, the shipment's
# sale and address. Related fields are read in the same call with 6.0's
# dotted names, as a user wanting those facts would; reading bare ids instead
# costs Tryton about 40 % less and tells nothing a board can show.
LISTS = [
    ('customers', 'party.party', [],
     ['code', 'name', 'write_date', 'create_date',
      'customer_payment_term.lines.relativedeltas.days',
      'customer_payment_term.lines.relativedeltas.weeks',
      'customer_payment_term.lines.relativedeltas.months']),
    ('orders', 'sale.sale', [('number', '!=', None)],
     ['number', 'state', 'shipment_state', 'party.code', 'sale_date', 'shipping_date',
      'currency.code', 'total_amount', 'write_date', 'create_date', 'lines.write_date',
      'lines.create_date']),
    ('invoices', 'account.invoice', [('type', '=', 'out')],
     ['number', 'state', 'party.code', 'invoice_date', 'currency.code', 'total_amount',
      'reconciled', 'lines_to_pay.maturity_date', 'sales.number', 'write_date',
      'create_date', 'lines.write_date', 'lines.create_date']),
    ('invoice_lines', 'account.invoice.line',
     [('invoice_type', '=', 'out'), ('type', '=', 'line'), ('invoice', '!=', None)],
     ['invoice', 'product.code', 'product.rec_name', 'description', 'quantity',
      'unit_price', 'amount', 'currency.code', 'origin.unit_price', 'invoice.sales.number',
      'write_date', 'create_date']),
    ('shipments', 'stock.shipment.out', [],
     ['number', 'state', 'planned_date', 'effective_date', 'carrier.party.name',
      'delivery_address.full_address', 'customer.code', 'outgoing_moves.sale.number',
      'write_date', 'create_date']),
]


def plain(v):
    # Decimals, dates and datetimes come as {"__class__": ...} objects.
    if isinstance(v, dict) and '__class__' in v:
        c = v['__class__']
        if c == 'Decimal':
            return v['decimal']
        if c == 'date':
            return '%04d-%02d-%02d' % (v['year'], v['month'], v['day'])
        if c == 'datetime':
            return '%04d-%02d-%02dT%02d:%02d:%02d' % (
                v['year'], v['month'], v['day'], v['hour'], v['minute'],
                v['second'])
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return v


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit('usage: tryton_baseline.py URL DATABASE USER PASSWORD_FILE OUT.sqlite [PAGE]')
    url, db, user, pwfile, out = sys.argv[1:6]
    page = int(sys.argv[6]) if len(sys.argv) == 7 else 1000
    with open(pwfile) as f:
        password = f.read().strip()
    base = url.rstrip('/') + '/' + db + '/'
    auth = [None]
    n = [0]

    def call(method, params):
        n[0] += 1
        req = urllib.request.Request(base, data=json.dumps(
            {'method': method, 'params': params, 'id': n[0]}).encode())
        req.add_header('Content-Type', 'application/json')
        if auth[0]:
            req.add_header('Authorization', 'Session ' + auth[0])
        with urllib.request.urlopen(req, timeout=300) as r:
            ans = json.load(r)
        if ans.get('error'):
            sys.exit('baseline: %s: %s' % (method, ans['error']))
        return ans['result']

    t0 = time.monotonic()
    uid, session = call('common.db.login', [user, {'password': password}])
    auth[0] = base64.b64encode(
        ('%s:%s:%s' % (user, uid, session)).encode()).decode()
    ctx = call('model.res.user.get_preferences', [True, {}])
    ctx['active_test'] = False
    con = sqlite3.connect(out)
    total = 0
    for name, model, domain, fields in LISTS:
        # A dotted field comes back under its first name plus "." ("party.":
        # {...}); it is stored as JSON in one column per first name.
        cols = ['id']
        for f in fields:
            c = f.split('.')[0] + '.' if '.' in f else f
            if c not in cols:
                cols.append(c)
        con.execute('CREATE TABLE %s (%s)' % (
            name, ', '.join('"%s"' % c.replace('.', '_') for c in cols)))
        offset, got = 0, 0
        while True:
            rows = call('model.%s.search_read' % model,
                        [domain, offset, page, [['id', 'ASC']], fields, ctx])
            con.executemany(
                'INSERT INTO %s VALUES (%s)' % (name, ','.join('?' * len(cols))),
                [[plain(r.get(c)) for c in cols] for r in rows])
            got += len(rows)
            if len(rows) < page:
                break
            offset += page
        con.commit()
        print('  %-14s %7d' % (name, got))
        total += got
    con.close()
    dt = time.monotonic() - t0
    print('baseline: %d records in %.2f s, %.0f records/s' % (
        total, dt, total / dt))


if __name__ == '__main__':
    main()
