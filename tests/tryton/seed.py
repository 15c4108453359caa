#!/usr/bin/env python3
"""Seeds a fresh Tryton 6.0 database through its JSON-RPC API (stdlib only).

Run by tests/tryton/lib.sh's tryton_template against a running trytond (the
environment of tryton_start: TRYTON_URL, TRYTON_DB, TRYTON_USER,
TRYTON_PASSWORD_FILE). It creates, all by ordinary API calls (create, write,
buttons, wizards), what a fleet depot's finance side holds:

  - the company (party + company.company) in EUR, the admin user in it;
  - the chart of accounts (the account.create_chart wizard on the minimal
    chart), a fiscal year with monthly periods, its move and invoice sequences,
    a payment term, a cash payment method;
  - the sale sequence "O-" + number (the simulator's order ids: O-1, O-2, ...);
  - a product category with the revenue account, products: services
    "Linehaul" and "Fuel surcharge", goods "Pallet" and "Cold box", a carrier
    with its service "Carriage";
  - customers C-1... (party code) with an address, one archived;
  - sales in every state, so that customer shipments exist waiting, assigned,
    picked, packed and done, and customer invoices draft, validated, posted,
    paid and cancelled.

Options:
  --sales N        number of sales (default 200), customers N/5 (at least 8)
  --seed N         random seed (default 12); the result is deterministic
  --mirror FILE    customers and orders from a waybill-sim world instead: FILE
                   is JSON {"customers": [...], "orders": [...]} as the sim's
                   /v1/customers and /v1/orders pages' data (see mirror.sh).
                   Parties get the sim's customer ids as codes, sales the sim's
                   order ids as numbers, and the state follows the order's
                   status.
"""
import argparse
import datetime
import json
import random
import sys
import time
from decimal import Decimal

import rpc

# What a sale becomes, by the share of sales that get each fate. Each fate
# names the sale's state and, for processed sales, what happens to its
# shipment and invoice.
FATES = [
    ('draft', 0.08),
    ('quotation', 0.08),
    ('confirmed', 0.08),
    ('cancelled', 0.05),
    ('processing:waiting', 0.08),
    ('processing:assigned', 0.08),
    ('processing:picked', 0.06),
    ('processing:packed', 0.06),
    ('done:draft', 0.09),
    ('done:validated', 0.08),
    ('done:posted', 0.10),
    ('done:paid', 0.10),
    ('done:cancelled', 0.06),
]

# A sim order's status -> the fates it may take (mirror mode; the order's
# number picks one, so the result is deterministic).
STATUS_FATES = {
    'open': ['quotation', 'confirmed', 'draft'],
    'in_progress': ['processing:waiting', 'processing:assigned',
                    'processing:picked', 'processing:packed'],
    'delivered': ['done:draft', 'done:validated'],
    'invoiced': ['done:posted', 'done:paid', 'done:paid', 'done:cancelled'],
    'cancelled': ['cancelled'],
}


CITIES = ['Rotterdam', 'Antwerp', 'Lyon', 'Hamburg', 'Milan', 'Porto',
          'Gdansk', 'Ghent', 'Utrecht', 'Bremen', 'Turin', 'Seville']
NAMES = ['Harbor', 'Kestrel', 'Northway', 'Bluefin', 'Granite', 'Meridian',
         'Alder', 'Saffron', 'Copper', 'Linden', 'Osprey', 'Juniper']
TRADES = ['Foods', 'Logistics', 'Retail', 'Steel', 'Paper', 'Pharma',
          'Beverages', 'Textiles']


T0 = time.monotonic()


def log(msg):
    print('%6.1f %s' % (time.monotonic() - T0, msg), flush=True)


class Seeder:
    def __init__(self, c, rnd):
        self.c = c
        self.rnd = rnd
        self.to_pay = []      # invoices the second pass pays
        self.processed = []   # sales the second pass processes again

    def one(self, model, domain):
        ids = self.c.model(model, 'search', domain, 0, 1, None)
        if not ids:
            raise SystemExit('seed: no %s matches %s' % (model, domain))
        return ids[0]

    def model_data(self, module, fs_id):
        rows = self.c.search_read('ir.model.data',
                                  [('module', '=', module),
                                   ('fs_id', '=', fs_id)], ['db_id'])
        return rows[0]['db_id']

    def wizard(self, name, steps, ctx=None):
        """Runs wizard NAME through STEPS [(state, data)], then deletes it."""
        c = self.c
        context = dict(c.context)
        context.update(ctx or {})
        sid, _, _ = c.call('wizard.%s.create' % name, [context])
        try:
            out = None
            for state, data in steps:
                out = c.call('wizard.%s.execute' % name,
                             [sid, data, state, context])
            return out
        finally:
            c.call('wizard.%s.delete' % name, [sid, context])

    # -- company, accounting ------------------------------------------------

    def company(self):
        c = self.c
        eur, = c.create('currency.currency', [{
            'name': 'Euro', 'code': 'EUR', 'symbol': '€',
            'rounding': Decimal('0.01'), 'digits': 2,
            'rates': [('create', [{'date': datetime.date(2020, 1, 1),
                                   'rate': Decimal('1')}])]}])
        party, = c.create('party.party', [{'name': 'Waybill Depot'}])
        company, = c.create('company.company', [{'party': party,
                                                 'currency': eur}])
        admin = self.one('res.user', [('login', '=', c.user)])
        c.write('res.user', [admin], {'companies': [('add', [company])],
                                      'company': company})
        c.login()  # the context now carries the company
        self.currency, self.company_id = eur, company

    def accounts(self):
        c = self.c
        template = self.model_data('account', 'account_template_root_en')
        self.wizard('account.create_chart', [
            ('create_account', {'account': {'company': self.company_id,
                                            'account_template': template}}),
        ])

        def acc(kind):
            return self.one('account.account',
                            [('type.%s' % kind, '=', True),
                             ('company', '=', self.company_id)])
        self.receivable, self.payable = acc('receivable'), acc('payable')
        self.revenue, self.expense = acc('revenue'), acc('expense')
        self.cash = self.one('account.account', [('name', '=', 'Main Cash')])
        self.wizard('account.create_chart', [
            ('create_properties', {'properties': {
                'company': self.company_id,
                'account_receivable': self.receivable,
                'account_payable': self.payable}}),
        ])

    def fiscal_years(self, years):
        c = self.c
        move_type = self.one('ir.sequence.type', [('name', '=', 'Account Move')])
        inv_type = self.one('ir.sequence.type', [('name', '=', 'Invoice')])
        for y in years:
            post, = c.create('ir.sequence', [{
                'name': 'Moves %d' % y, 'sequence_type': move_type,
                'company': self.company_id}])
            inv, = c.create('ir.sequence.strict', [{
                'name': 'Invoices %d' % y, 'sequence_type': inv_type,
                'company': self.company_id, 'prefix': 'INV-%d-' % y,
                'padding': 6}])
            fy, = c.create('account.fiscalyear', [{
                'name': str(y), 'company': self.company_id,
                'start_date': datetime.date(y, 1, 1),
                'end_date': datetime.date(y, 12, 31),
                'post_move_sequence': post,
                'invoice_sequences': [('create', [{
                    'company': self.company_id,
                    'out_invoice_sequence': inv,
                    'in_invoice_sequence': inv,
                    'out_credit_note_sequence': inv,
                    'in_credit_note_sequence': inv}])]}])
            c.button('account.fiscalyear', 'create_period', [fy])

    def terms(self):
        c = self.c
        self.term, = c.create('account.invoice.payment_term', [{
            'name': '30 days', 'lines': [('create', [{
                'type': 'remainder', 'relativedeltas': [('create', [{
                    'days': 30}])]}])]}])
        journal = self.one('account.journal', [('type', '=', 'cash')])
        self.pay_method, = c.create('account.invoice.payment.method', [{
            'name': 'Bank transfer', 'company': self.company_id,
            'journal': journal, 'credit_account': self.cash,
            'debit_account': self.cash}])

    def sale_sequence(self):
        c = self.c
        seq_type = self.model_data('sale', 'sequence_type_sale')
        seq, = c.create('ir.sequence', [{
            'name': 'Orders', 'sequence_type': seq_type,
            'company': self.company_id, 'prefix': 'O-', 'padding': 0}])
        c.write('sale.configuration', [1], {'sale_sequence': seq})

    # -- products, carrier -------------------------------------------------

    def products(self):
        c = self.c
        unit = self.one('product.uom', [('name', '=', 'Unit')])
        cat, = c.create('product.category', [{
            'name': 'Transport', 'accounting': True,
            'account_revenue': self.revenue, 'account_expense': self.expense}])

        def product(name, code, kind, price, cost):
            tpl, = c.create('product.template', [{
                'name': name, 'type': kind, 'default_uom': unit,
                'salable': True, 'sale_uom': unit,
                'list_price': Decimal(price),
                'account_category': cat,
                'products': [('create', [{'suffix_code': code,
                                          'cost_price': Decimal(cost)}])]}])
            pid = self.one('product.product', [('template', '=', tpl)])
            return {'id': pid, 'price': Decimal(price), 'unit': unit,
                    'name': name}
        self.linehaul = product('Linehaul', 'LH', 'service', '240', '180')
        self.fuel = product('Fuel surcharge', 'FUEL', 'service', '35', '30')
        self.goods = [product('Pallet', 'PAL', 'goods', '18', '9'),
                      product('Cold box', 'COLD', 'goods', '42', '20')]
        carriage = product('Carriage', 'CARR', 'service', '25', '15')
        cparty, = c.create('party.party', [{'name': 'Depot Fleet'}])
        self.carrier, = c.create('carrier', [{
            'party': cparty, 'carrier_product': carriage['id']}])
        c.create('carrier.selection', [{'carrier': self.carrier}])

    def stock(self):
        """An inventory so that some shipments can be assigned from stock."""
        c = self.c
        storage = self.one('stock.location', [('code', '=', 'STO')])
        self.warehouse = self.one('stock.location', [('code', '=', 'WH')])
        inv, = c.create('stock.inventory', [{
            'location': storage, 'date': datetime.date(2024, 1, 2),
            'lines': [('create', [{'product': g['id'], 'quantity': 100000}
                                  for g in self.goods])]}])
        c.button('stock.inventory', 'confirm', [inv])

    # -- customers ---------------------------------------------------------

    def customers(self, rows):
        """ROWS: [(code, name, active)]; returns {code: (party, address)}."""
        c = self.c
        vals = []
        for i, (code, name, active) in enumerate(rows):
            city = CITIES[i % len(CITIES)]
            vals.append({
                'name': name, 'code': code, 'active': active,
                'addresses': [('create', [{
                    'street': '%d Quay Road' % (i + 1), 'city': city,
                    'postal_code': '%05d' % (1000 + i * 7)}])]})
        ids = c.create('party.party', vals)
        addrs = c.search_read('party.address', [('party', 'in', ids)],
                              ['party'],
                              ctx={'active_test': False})
        by_party = {a['party']: a['id'] for a in addrs}
        return {rows[i][0]: (pid, by_party[pid]) for i, pid in enumerate(ids)}

    # -- sales -------------------------------------------------------------

    def sale_vals(self, party, addr, day, number=None, total=None):
        rnd = self.rnd
        lines = []
        lh = self.linehaul
        price = lh['price']
        if total is not None:
            price = (Decimal(str(total)) * Decimal('0.85')).quantize(
                Decimal('0.01'))
        lines.append({'type': 'line', 'product': lh['id'], 'quantity': 1,
                      'unit': lh['unit'], 'unit_price': price,
                      'description': 'Linehaul'})
        fuel = self.fuel
        fprice = fuel['price']
        if total is not None:
            fprice = Decimal(str(total)) - price
        lines.append({'type': 'line', 'product': fuel['id'], 'quantity': 1,
                      'unit': fuel['unit'], 'unit_price': fprice,
                      'description': 'Fuel surcharge'})
        g = self.goods[rnd.randrange(len(self.goods))]
        lines.append({'type': 'line', 'product': g['id'],
                      'quantity': rnd.randint(1, 12), 'unit': g['unit'],
                      'unit_price': g['price'], 'description': g['name']})
        v = {'party': party, 'invoice_address': addr,
             'shipment_address': addr, 'payment_term': self.term,
             'carrier': self.carrier, 'shipment_cost_method': 'order',
             'invoice_method': 'order', 'sale_date': day,
             'description': 'Transport order',
             'lines': [('create', lines)]}
        if number:
            v['number'] = number
        return v

    def sales(self, plan):
        """PLAN: [(fate, sale vals)]; creates and moves them, in batches."""
        c = self.c
        batch = 25
        for start in range(0, len(plan), batch):
            part = plan[start:start + batch]
            ids = c.create('sale.sale', [v for _, v in part])
            fate = {sid: f for sid, (f, _) in zip(ids, part)}
            self.move_sales(ids, fate)
            log('seed: sales %d/%d' % (start + len(part), len(plan)))

    def move_sales(self, ids, fate):
        c = self.c

        def having(*fates):
            return [i for i in ids if fate[i].split(':')[0] in fates or
                    fate[i] in fates]
        cancel = having('cancelled')
        if cancel:
            c.button('sale.sale', 'cancel', cancel)
        quoted = having('quotation', 'confirmed', 'processing', 'done')
        if quoted:
            c.button('sale.sale', 'quote', quoted)
        # Confirming queues the sale's processing. This pass runs against a
        # trytond whose queue waits for a worker (none runs): processing one
        # sale a task is slow, so it processes them in one call, and the
        # sales meant to stay confirmed stay so.
        confirmed = having('confirmed', 'processing', 'done')
        if confirmed:
            c.button('sale.sale', 'confirm', confirmed)
        processed = having('processing', 'done')
        if processed:
            c.button('sale.sale', 'process', processed)
        # Shipments: how far each goes.
        steps = {'waiting': [], 'assigned': ['assign_force'],
                 'picked': ['assign_force', 'pick'],
                 'packed': ['assign_force', 'pick', 'pack'],
                 'done': ['assign_force', 'pick', 'pack', 'done']}
        if not processed:
            return
        sales = c.search_read('sale.sale', [('id', 'in', processed)],
                              ['shipments'])
        todo = {}
        for s in sales:
            f = fate[s['id']]
            state = 'done' if f.startswith('done') else f.split(':')[1]
            todo.setdefault(state, []).extend(s['shipments'])
        for state, shs in todo.items():
            for button in steps[state]:
                c.button('stock.shipment.out', button, shs)
        # Invoiced on order: shipping leaves the invoices as they are.
        sales = c.search_read('sale.sale', [('id', 'in', processed)],
                              ['invoices'])
        inv_fate = {}
        for s in sales:
            f = fate[s['id']]
            if f.startswith('done'):
                for inv in s['invoices']:
                    inv_fate[inv] = f.split(':')[1]
        self.move_invoices(inv_fate)
        # Only those shipped and paid have somewhere to go (done).
        self.processed += having('done:paid')

    def move_invoices(self, inv_fate):
        c = self.c
        by = {}
        for inv, f in inv_fate.items():
            by.setdefault(f, []).append(inv)
        log('seed: invoices to move: %s' % ', '.join(
            '%s %d' % (k, len(v)) for k, v in sorted(by.items())))
        if by.get('cancelled'):
            c.button('account.invoice', 'cancel', by['cancelled'])
        valid = by.get('validated', []) + by.get('posted', []) + \
            by.get('paid', [])
        if valid:
            c.button('account.invoice', 'validate_invoice', valid)
        post = by.get('posted', []) + by.get('paid', [])
        if post:
            c.button('account.invoice', 'post', post)
        self.to_pay += by.get('paid', [])

    def finish(self, st):
        """Second pass: paying reconciles, and a trytond that runs its queue
        then marks the invoice paid; processing the sales again marks those
        shipped and paid done."""
        self.currency, self.company_id = st['currency'], st['company']
        self.pay_method = st['pay_method']
        for i, inv in enumerate(st['to_pay']):
            self.pay(inv)
            if (i + 1) % 25 == 0:
                log('seed: paid %d/%d' % (i + 1, len(st['to_pay'])))
        for i in range(0, len(st['processed']), 100):
            self.c.button('sale.sale', 'process', st['processed'][i:i + 100])

    def pay(self, inv):
        c = self.c
        row, = c.search_read('account.invoice', [('id', '=', inv)],
                             ['amount_to_pay', 'invoice_date'])
        ctx = {'active_id': inv, 'active_ids': [inv],
               'active_model': 'account.invoice'}
        self.wizard('account.invoice.pay', [
            ('choice', {'start': {
                'amount': row['amount_to_pay'], 'currency': self.currency,
                'description': 'Transfer', 'payment_method': self.pay_method,
                'date': row['invoice_date'] or datetime.date(2025, 3, 1),
                'company': self.company_id}}),
        ], ctx=ctx)


def generated(s, n_sales, rnd):
    n_cust = max(8, n_sales // 5)
    rows = []
    for i in range(n_cust):
        name = '%s %s' % (NAMES[i % len(NAMES)],
                          TRADES[(i // len(NAMES)) % len(TRADES)])
        if i >= len(NAMES) * len(TRADES):
            name += ' %d' % (i + 1)
        rows.append(('C-%d' % (i + 1), name, i != n_cust - 1))
    parties = s.customers(rows)
    live = [r[0] for r in rows if r[2]]
    names, weights = zip(*FATES)
    plan = []
    start = datetime.date(2025, 1, 6)
    for i in range(n_sales):
        # Every fate at least once, however few the sales.
        fate = names[i] if i < len(names) else rnd.choices(names, weights)[0]
        party, addr = parties[rnd.choice(live)]
        day = start + datetime.timedelta(days=i * 60 // max(n_sales, 1))
        plan.append((fate, s.sale_vals(party, addr, day)))
    return plan


def mirrored(s, path):
    with open(path) as f:
        world = json.load(f)
    custs = [x for x in world.get('customers', []) if not x.get('deleted')]
    orders = [x for x in world.get('orders', []) if not x.get('deleted')]
    rows = [(x['id'], x['name'], x.get('active', True)) for x in custs]
    parties = s.customers(rows)
    plan = []
    for o in sorted(orders, key=lambda o: int(o['id'].split('-')[-1])):
        if o.get('customer_id') not in parties:
            continue
        party, addr = parties[o['customer_id']]
        day = datetime.date.fromisoformat((o.get('ordered_at') or
                                           '2025-03-01')[:10])
        fates = STATUS_FATES.get(o.get('status'), ['confirmed'])
        fate = fates[int(o['id'].split('-')[-1]) % len(fates)]
        plan.append((fate, s.sale_vals(party, addr, day, number=o['id'],
                                       total=o.get('total'))))
    return plan


def profile(c):
    for m, (n, t) in sorted(c.spent.items(), key=lambda kv: -kv[1][1]):
        log('  %7.2f s %5d calls  %s' % (t, n, m))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sales', type=int, default=200)
    ap.add_argument('--seed', type=int, default=12)
    ap.add_argument('--mirror')
    ap.add_argument('--profile', action='store_true',
                    help='print the time spent per JSON-RPC method')
    ap.add_argument('--state', metavar='FILE',
                    help='the first pass writes what the second pass does here')
    ap.add_argument('--finish', metavar='FILE',
                    help='second pass (a trytond that runs its queue): pay '
                    'the invoices and process the sales FILE lists')
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    c = rpc.from_env()
    s = Seeder(c, rnd)
    if a.finish:
        with open(a.finish) as f:
            st = json.load(f)
        try:
            s.finish(st)
        except rpc.RPCError as e:
            sys.exit('seed: %s' % e)
        if a.profile:
            profile(c)
        log('seed: paid %d invoices' % len(st['to_pay']))
        return
    try:
        s.company()
        s.accounts()
        s.fiscal_years([2024, 2025, 2026])
        s.terms()
        s.sale_sequence()
        s.products()
        s.stock()
        log('seed: company, accounts, products ready')
        plan = mirrored(s, a.mirror) if a.mirror else \
            generated(s, a.sales, rnd)
        s.sales(plan)
    except rpc.RPCError as e:
        sys.exit('seed: %s' % e)
    if a.profile:
        profile(c)
    if a.state:
        with open(a.state, 'w') as f:
            json.dump({'to_pay': s.to_pay, 'processed': s.processed,
                       'currency': s.currency, 'company': s.company_id,
                       'pay_method': s.pay_method}, f)
    log('seed: done')


if __name__ == '__main__':
    main()
