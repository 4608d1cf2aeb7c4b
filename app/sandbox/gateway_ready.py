"""The READY and READY_SUPPLEMENTAL payloads of a new gateway session (pure)."""

from __future__ import annotations

import secrets
from typing import Any

from app.sandbox.gateway_session import GatewaySession

Json = dict[str, Any]


def ready(session: GatewaySession, resume_gateway_url: str) -> Json:
    """READY for a new session: the user, its one guild, and what user clients also read."""
    account = session.state.account
    user = {
        **account.user(),
        "bot": False,
        "verified": True,
        "mfa_enabled": False,
        "email": None,
    }
    return {
        "v": 9,
        "user": user,
        "session_id": session.session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "guilds": [{"id": account.guild_id, "unavailable": False}],
        "private_channels": [],
        "relationships": [],
        "user_settings_proto": "",
        "sessions": [],
        "country_code": "US",
        "auth_session_id_hash": secrets.token_urlsafe(24),
        # Beyond the spec's minimal READY: what a real user READY also carries and
        # user-account libraries read (one merged_members list per guild).
        "users": [],
        "merged_members": [[]],
        "user_settings": {},
        "user_guild_settings": {"entries": [], "version": 0, "partial": False},
        "read_state": {"entries": [], "version": 0, "partial": False},
        "guild_join_requests": [],
        "analytics_token": "",
    }


def ready_supplemental(session: GatewaySession) -> Json:
    guild_id = session.state.account.guild_id
    return {
        "merged_presences": {"friends": [], "guilds": [[]]},
        "merged_members": [[]],
        "guilds": [{"id": guild_id, "voice_states": [], "embedded_activities": []}],
        "lazy_private_channels": [],
        "disclose": [],
    }
