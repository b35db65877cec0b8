"""Idempotency keys (the IETF httpapi Idempotency-Key header): a client that retries a POST
with the same key gets the first response again, and the operation runs once.

The key's row is inserted in the request's own transaction before the operation runs, so:
- the operation and its recorded response commit together, or neither does (a failed
  attempt, a 4xx problem or a crash, leaves no key and may be retried);
- a second request with the same key while the first is running waits on the row's unique
  index and then replays the committed response;
- the same key with a different request (another operation or another body) is refused with
  422, never replayed as if it had been the same.

Keys are scoped by caller (the token's subject), so two callers cannot collide, and are kept
for `retention` (24 hours by default) before `purge` removes them."""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header, Response
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from mach_service_kit.problems import ProblemError

# Printable ASCII without spaces, as long as a UUID needs and then some.
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="the client's unique key for this request; a retry with it replays the "
        "first response (kept 24 hours)",
    ),
]


def idempotency_table(metadata: sa.MetaData) -> sa.Table:
    """The keys as a table of the service's own metadata (its migrations create it)."""
    return sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status_code", sa.SmallInteger),
        sa.Column("body", JSONB),
        sa.Column("location", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: Any
    location: str | None

    def answer(self, response: Response) -> Any:
        """Sets the first response's status and Location on `response` (marked
        `Idempotent-Replayed: true`); returns its body for the route to return."""
        response.status_code = self.status_code
        if self.location:
            response.headers["Location"] = self.location
        response.headers["Idempotent-Replayed"] = "true"
        return self.body


def fingerprint(operation: str, payload: Any) -> str:
    """The request as the operation saw it (parsed, so JSON and XML of the same body agree)."""
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotency:
    def __init__(self, table: sa.Table, retention: timedelta = timedelta(hours=24)) -> None:
        self.table = table
        self.retention = retention

    async def begin(
        self, db_session: AsyncSession, *, scope: str, key: str, operation: str, payload: Any
    ) -> Replay | None:
        """None: the key is new and now held by this transaction (run the operation, then
        `finish`). A Replay: the response recorded for this key and this same request."""
        digest = fingerprint(operation, payload)
        claimed = await db_session.scalar(
            insert(self.table)
            .values(scope=scope, key=key, fingerprint=digest)
            .on_conflict_do_nothing()
            .returning(self.table.c.key)
        )
        if claimed is not None:
            return None
        row = (
            await db_session.execute(
                sa.select(self.table).where(self.table.c.scope == scope, self.table.c.key == key)
            )
        ).one()
        if row.fingerprint != digest:
            raise ProblemError(
                422, "this Idempotency-Key was used for a different request; use a new key"
            )
        return Replay(row.status_code, row.body, row.location)

    async def finish(
        self,
        db_session: AsyncSession,
        *,
        scope: str,
        key: str,
        status_code: int,
        body: Any,
        location: str | None = None,
    ) -> None:
        """Records the response (committed with the operation's own changes)."""
        await db_session.execute(
            self.table.update()
            .where(self.table.c.scope == scope, self.table.c.key == key)
            .values(status_code=status_code, body=body, location=location)
        )

    async def purge(self, db_session: AsyncSession) -> int:
        """Removes the keys older than the retention; returns how many."""
        result = await db_session.execute(
            self.table.delete().where(
                self.table.c.created_at < sa.func.now() - sa.literal(self.retention)
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
