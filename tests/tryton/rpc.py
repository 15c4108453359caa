#!/usr/bin/env python3
"""A small Tryton JSON-RPC client (python3 stdlib only).

Used as a module by seed.py, dump.py and bench/tryton_baseline.py, and as a
command by tests/tryton/lib.sh's tryton_rpc:

    rpc.py METHOD PARAMS_JSON

calls METHOD with PARAMS_JSON (a JSON array) as the user in TRYTON_USER (password
in TRYTON_PASSWORD_FILE) on TRYTON_URL/TRYTON_DB and prints the result as JSON,
Decimals, dates and datetimes as Tryton's {"__class__": ...} objects. A Tryton
error prints its message on stderr and exits 1.
"""
import base64
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal


def _decode(dct):
    cls = dct.get('__class__')
    if cls == 'Decimal':
        return Decimal(dct['decimal'])
    if cls == 'date':
        return datetime.date(dct['year'], dct['month'], dct['day'])
    if cls == 'datetime':
        return datetime.datetime(dct['year'], dct['month'], dct['day'],
                                 dct['hour'], dct['minute'], dct['second'],
                                 dct['microsecond'])
    if cls == 'time':
        return datetime.time(dct['hour'], dct['minute'], dct['second'],
                             dct['microsecond'])
    if cls == 'timedelta':
        return datetime.timedelta(seconds=dct['seconds'])
    if cls == 'bytes':
        return base64.decodebytes(dct['base64'].encode())
    return dct


class Encoder(json.JSONEncoder):
    """Tryton's wire form of Decimal, date and datetime."""

    def default(self, o):
        if isinstance(o, Decimal):
            return {'__class__': 'Decimal', 'decimal': str(o)}
        if isinstance(o, datetime.datetime):
            return {'__class__': 'datetime', 'year': o.year,
                    'month': o.month, 'day': o.day, 'hour': o.hour,
                    'minute': o.minute, 'second': o.second,
                    'microsecond': o.microsecond}
        if isinstance(o, datetime.date):
            return {'__class__': 'date', 'year': o.year, 'month': o.month,
                    'day': o.day}
        if isinstance(o, datetime.timedelta):
            return {'__class__': 'timedelta', 'seconds': o.total_seconds()}
        if isinstance(o, (bytes, bytearray)):
            return {'__class__': 'bytes',
                    'base64': base64.encodebytes(o).decode()}
        return super().default(o)


class RPCError(Exception):
    """A Tryton `error` member, or an HTTP error, as one line."""


class Client:
    """One signed-in session on one database."""

    def __init__(self, url, database, user, password, timeout=300):
        self.base = url.rstrip('/') + '/' + database + '/'
        self.user = user
        self.password = password
        self.timeout = timeout
        self.auth = None
        self.context = {}
        self.n = 0
        self.spent = {}  # method -> [calls, seconds] (seed.py --profile)

    def _post(self, method, params):
        t0 = time.monotonic()
        try:
            return self._post1(method, params)
        finally:
            k = self.spent.setdefault(method, [0, 0.0])
            k[0] += 1
            k[1] += time.monotonic() - t0

    def _post1(self, method, params):
        self.n += 1
        body = json.dumps({'method': method, 'params': params, 'id': self.n},
                          cls=Encoder).encode()
        req = urllib.request.Request(self.base, data=body, method='POST')
        req.add_header('Content-Type', 'application/json')
        if self.auth:
            req.add_header('Authorization', 'Session ' + self.auth)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                ans = json.loads(r.read().decode(), object_hook=_decode)
        except urllib.error.HTTPError as e:
            raise RPCError('%s: HTTP %d' % (method, e.code)) from None
        if ans.get('error'):
            err = ans['error']
            if isinstance(err, list) and len(err) > 1 and \
                    isinstance(err[1], list) and err[1]:
                msg = '%s: %s' % (err[0], err[1][0])
            else:
                msg = str(err)
            raise RPCError('%s: %s' % (method, msg))
        return ans.get('result')

    def login(self):
        uid, session = self._post('common.db.login',
                                  [self.user, {'password': self.password}])
        self.auth = base64.b64encode(
            ('%s:%s:%s' % (self.user, uid, session)).encode()).decode()
        self.context = self._post('model.res.user.get_preferences',
                                  [True, {}]) or {}
        return uid

    def call(self, method, params):
        """METHOD with PARAMS; a dropped session (401) signs in again once."""
        try:
            return self._post(method, params)
        except RPCError as e:
            if not str(e).endswith('HTTP 401') or not self.auth:
                raise
        self.login()
        return self._post(method, params)

    # Model calls take the user's context as their last argument.
    def model(self, model, method, *args, ctx=None):
        c = dict(self.context)
        if ctx:
            c.update(ctx)
        return self.call('model.%s.%s' % (model, method), list(args) + [c])

    def search_read(self, model, domain, fields, offset=0, limit=None,
                    order=None, ctx=None):
        return self.model(model, 'search_read', domain, offset, limit, order,
                          fields, ctx=ctx)

    def create(self, model, vals_list, ctx=None):
        return self.model(model, 'create', vals_list, ctx=ctx)

    def write(self, model, ids, vals, ctx=None):
        return self.model(model, 'write', ids, vals, ctx=ctx)

    def button(self, model, method, ids, ctx=None):
        return self.model(model, method, ids, ctx=ctx)


def from_env():
    """A signed-in Client from TRYTON_URL, TRYTON_DB, TRYTON_USER and
    TRYTON_PASSWORD_FILE (what tryton_start exports)."""
    try:
        url = os.environ['TRYTON_URL']
        db = os.environ['TRYTON_DB']
        user = os.environ.get('TRYTON_USER', 'admin')
        with open(os.environ['TRYTON_PASSWORD_FILE']) as f:
            pw = f.read().strip()
    except (KeyError, OSError) as e:
        sys.exit('rpc: %s (run tryton_start first)' % e)
    c = Client(url, db, user, pw)
    c.login()
    return c


def dumps(obj, **kw):
    return json.dumps(obj, cls=Encoder, **kw)


def main(argv):
    if len(argv) != 3:
        sys.exit('usage: rpc.py METHOD PARAMS_JSON')
    try:
        params = json.loads(argv[2], object_hook=_decode)
    except ValueError as e:
        sys.exit('rpc: PARAMS_JSON is not JSON: %s' % e)
    if not isinstance(params, list):
        sys.exit('rpc: PARAMS_JSON must be a JSON array')
    try:
        c = from_env()
        print(dumps(c.call(argv[1], params)))
    except (RPCError, OSError) as e:
        sys.exit('rpc: %s' % e)


if __name__ == '__main__':
    main(sys.argv)
