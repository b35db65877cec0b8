"""customers' carts

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("carts_version_positive_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("carts_pkey")),
    )
    op.create_index(op.f("carts_owner_idx"), "carts", ["owner"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("carts_owner_idx"), table_name="carts")
    op.drop_table("carts")
