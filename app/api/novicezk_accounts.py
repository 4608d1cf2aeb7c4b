"""The novicezk / trueai account routes: the accounts with their live Midjourney state, and the
admin route that records an operator's wish for an account's mode and remix (docs/accounts.md).

GET  /mj/account/list                 every account (never a token)
GET  /mj/account/{id}/fetch           one account
POST /mj/admin/account/{id}/settings  {"mode": "RELAX", "remix": true, "remixAutoSubmit": false}

The admin route takes the admin secret (else any API secret, as the dashboard's sign-in) or an
admin client key, checked before a byte of the body is read; the worker applies the wish
(docs/accounts.md).
"""

from __future__ import annotations

from starlette.requests import Request

from app.api import account_reads
from app.api.access import presents_admin_secret
from app.api.auth import presented_secret
from app.api.bodies import read_json
from app.api.callers import key_caller
from app.api.endpoint import Endpoint, endpoint, settings_of
from app.api.service import TaskService
from app.dialects import novicezk as nz
from app.dialects.common import dumps
from app.dialects.novicezk_accounts import render_account
from app.dialects.novicezk_trueai_requests import parse_account_change
from app.domain.errors import CommandError, ErrorKind
from app.domain.keys import looks_like_key

ep = endpoint(nz.DIALECT)
admin = endpoint(nz.DIALECT, auth=False)  # the admin check below, still before the body
ADMIN_BODY_BYTES = 4096


def _not_found() -> CommandError:
    return CommandError(ErrorKind.TASK_NOT_FOUND, "account not found", description="账号不存在")


@ep
async def account_list(request: Request, svc: TaskService) -> bytes:
    """Accounts with their Midjourney state (never their tokens)."""
    return dumps([render_account(row) for row in await account_reads.public_accounts(svc.engine)])


@ep
async def account_fetch(request: Request, svc: TaskService) -> bytes:
    """One account with its Midjourney state (never its token)."""
    row = await account_reads.public_account(svc.engine, request.path_params["id"])
    if row is None:
        raise _not_found()
    return dumps(render_account(row))


async def _is_admin(request: Request) -> bool:
    """The admin secret (else any API secret), or a client key made with `--admin`."""
    if presents_admin_secret(request, settings_of(request)):
        return True
    presented = presented_secret(request)
    if not looks_like_key(presented):
        return False
    caller = await key_caller(request, str(presented), nz.DIALECT)
    return caller.key is not None and caller.key.admin


@admin
async def account_settings(request: Request, svc: TaskService) -> bytes:
    """Record the wished `mode` (FAST|RELAX|TURBO), `remix` and/or `remixAutoSubmit`."""
    if not await _is_admin(request):
        raise CommandError(ErrorKind.UNAUTHORIZED, "invalid or missing admin secret")
    account_id = request.path_params["id"]
    if await account_reads.public_account(svc.engine, account_id) is None:
        raise _not_found()
    change = parse_account_change(account_id, await read_json(request, ADMIN_BODY_BYTES))
    row = await account_reads.change_account(svc.engine, change)
    if row is None:
        raise _not_found()
    return nz.submit_body(
        nz.CODE_SUCCESS, "成功", change.account_id, {"account": render_account(row)}
    )


ACCOUNT_GET: dict[str, Endpoint] = {
    "/mj/account/list": account_list,
    "/mj/account/{id}/fetch": account_fetch,
}
ACCOUNT_POST: dict[str, Endpoint] = {"/mj/admin/account/{id}/settings": account_settings}
