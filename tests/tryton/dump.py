#!/usr/bin/env python3
"""What Tryton holds for one list, as JSON lines (stdlib only), so tests can
compare counts and fields with Waybill's cache.

usage: dump.py LIST
LIST: customers | orders | order_lines | invoices | charges | shipments

Environment: what tryton_start exports (TRYTON_URL, TRYTON_DB, TRYTON_USER,
TRYTON_PASSWORD_FILE). One object a line, sorted by id; Decimals print as
strings ("346.00"), dates and datetimes as ISO 8601 (datetimes in UTC, as
Tryton keeps them, with a Z), Many2One fields as the target's id with the
name it is known by beside it (party_code, sale_number, carrier_name...).

  customers   party.party, archived ones too (active false): id, code, name,
              active, create_date, write_date, addresses [{id, street, city,
              postal_code, country}]
  orders      sale.sale with a number: id, number, state, party, party_code,
              sale_date, currency_code, untaxed_amount, tax_amount,
              total_amount, shipment_state, invoice_state, reference,
              create_date, write_date
  order_lines sale.line of those sales: id, sale, sale_number, product_code,
              description, quantity, unit_price, amount
  invoices    account.invoice of type out: id, number, state, party,
              party_code, invoice_date, currency_code, untaxed_amount,
              tax_amount, total_amount, amount_to_pay, sale_numbers (from
              the lines' origins), create_date, write_date
  charges     account.invoice.line of those invoices: id, invoice,
              invoice_number, product_code, description, quantity,
              unit_price, amount, sale_number
  shipments   stock.shipment.out: id, number, state, customer, customer_code,
              planned_date, effective_date, carrier, carrier_name,
              delivery_address, sale_numbers, create_date, write_date
"""
import datetime
import json
import sys
from decimal import Decimal

import rpc

PAGE = 500


def plain(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        return v.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def read_all(c, model, domain, fields, ctx=None):
    out, offset = [], 0
    while True:
        page = c.search_read(model, domain, fields, offset, PAGE,
                             [('id', 'ASC')], ctx=ctx)
        out += page
        if len(page) < PAGE:
            return out
        offset += PAGE


def names(c, model, ids, field, ctx=None):
    """{id: FIELD} for the records IDS of MODEL."""
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    rows = c.model(model, 'read', ids, ['id', field], ctx=ctx)
    return {r['id']: r[field] for r in rows}


def sale_of_origins(c, origins):
    """{'sale.line,ID': sale number} for invoice-line or move origins."""
    lines = {int(o.split(',')[1]) for o in origins
             if o and o.startswith('sale.line,')}
    sale_of = names(c, 'sale.line', lines, 'sale')
    num = names(c, 'sale.sale', sale_of.values(), 'number')
    return {'sale.line,%d' % l: num.get(s) for l, s in sale_of.items()}


def customers(c):
    ctx = {'active_test': False}
    rows = read_all(c, 'party.party', [], [
        'code', 'name', 'active', 'create_date', 'write_date',
        'addresses'], ctx=ctx)
    addr = read_all(c, 'party.address', [], [
        'party', 'street', 'city', 'postal_code', 'country'], ctx=ctx)
    by = {}
    for a in addr:
        by.setdefault(a['party'], []).append({
            k: a[k] for k in ('id', 'street', 'city', 'postal_code',
                              'country')})
    for r in rows:
        r['addresses'] = by.get(r['id'], [])
        r['active'] = bool(r['active'])  # SQLite answers 0/1
    return rows


def currency_codes(c, rows):
    codes = names(c, 'currency.currency', [r['currency'] for r in rows],
                  'code')
    for r in rows:
        r['currency_code'] = codes.get(r.pop('currency'))


def party_codes(c, rows, field='party'):
    codes = names(c, 'party.party', [r[field] for r in rows], 'code',
                  ctx={'active_test': False})
    for r in rows:
        r[field + '_code'] = codes.get(r[field])


def orders(c):
    rows = read_all(c, 'sale.sale', [('number', '!=', None)], [
        'number', 'state', 'party', 'sale_date', 'currency',
        'untaxed_amount', 'tax_amount', 'total_amount', 'shipment_state',
        'invoice_state', 'reference', 'create_date', 'write_date'])
    currency_codes(c, rows)
    party_codes(c, rows)
    return rows


def products(c, rows):
    codes = names(c, 'product.product', [r['product'] for r in rows], 'code')
    for r in rows:
        r['product_code'] = codes.get(r.pop('product'))


def order_lines(c):
    sales = {r['id']: r['number'] for r in
             read_all(c, 'sale.sale', [('number', '!=', None)], ['number'])}
    rows = read_all(c, 'sale.line', [('sale', 'in', list(sales))], [
        'sale', 'product', 'description', 'quantity', 'unit_price',
        'amount'])
    products(c, rows)
    for r in rows:
        r['sale_number'] = sales.get(r['sale'])
    return rows


def invoices(c):
    rows = read_all(c, 'account.invoice', [('type', '=', 'out')], [
        'number', 'state', 'party', 'invoice_date', 'currency',
        'untaxed_amount', 'tax_amount', 'total_amount', 'amount_to_pay',
        'create_date', 'write_date'])
    currency_codes(c, rows)
    party_codes(c, rows)
    lines = read_all(c, 'account.invoice.line',
                     [('invoice.type', '=', 'out')], ['invoice', 'origin'])
    sale = sale_of_origins(c, [l['origin'] for l in lines])
    by = {}
    for l in lines:
        n = sale.get(l['origin'])
        if n:
            by.setdefault(l['invoice'], set()).add(n)
    for r in rows:
        r['sale_numbers'] = sorted(by.get(r['id'], ()))
    return rows


def charges(c):
    rows = read_all(c, 'account.invoice.line',
                    [('invoice.type', '=', 'out')], [
                        'invoice', 'product', 'description', 'quantity',
                        'unit_price', 'amount', 'origin'])
    products(c, rows)
    num = names(c, 'account.invoice', [r['invoice'] for r in rows], 'number')
    sale = sale_of_origins(c, [r['origin'] for r in rows])
    for r in rows:
        r['invoice_number'] = num.get(r['invoice'])
        r['sale_number'] = sale.get(r.pop('origin'))
    return rows


def shipments(c):
    rows = read_all(c, 'stock.shipment.out', [], [
        'number', 'state', 'customer', 'planned_date', 'effective_date',
        'carrier', 'delivery_address', 'outgoing_moves', 'create_date',
        'write_date'])
    party_codes(c, rows, 'customer')
    carriers = names(c, 'carrier', [r['carrier'] for r in rows], 'rec_name')
    moves = read_all(c, 'stock.move', [('shipment', 'like',
                                         'stock.shipment.out,%')],
                     ['shipment', 'origin'])
    sale = sale_of_origins(c, [m['origin'] for m in moves])
    by = {}
    for m in moves:
        n = sale.get(m['origin'])
        if n:
            by.setdefault(int(m['shipment'].split(',')[1]), set()).add(n)
    for r in rows:
        r.pop('outgoing_moves')
        r['carrier_name'] = carriers.get(r['carrier'])
        r['sale_numbers'] = sorted(by.get(r['id'], ()))
    return rows


LISTS = {'customers': customers, 'orders': orders,
         'order_lines': order_lines, 'invoices': invoices,
         'charges': charges, 'shipments': shipments}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in LISTS:
        sys.exit('usage: dump.py %s' % '|'.join(LISTS))
    c = rpc.from_env()
    try:
        rows = LISTS[sys.argv[1]](c)
    except rpc.RPCError as e:
        sys.exit('dump: %s' % e)
    for r in sorted(rows, key=lambda r: r['id']):
        print(json.dumps(plain(r), sort_keys=True, ensure_ascii=False))


if __name__ == '__main__':
    main()
