"""customers and addresses

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("locale", sa.Text(), nullable=False),
        sa.Column("marketing_opt_in", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("customers_pkey")),
        sa.UniqueConstraint("subject", name=op.f("customers_subject_key")),
    )
    op.create_index(op.f("customers_email_idx"), "customers", ["email"], unique=False)
    op.create_table(
        "addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("line1", sa.Text(), nullable=False),
        sa.Column("line2", sa.Text(), nullable=False),
        sa.Column("postal_code", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("country", sa.CHAR(length=2), nullable=False),
        sa.Column("default_shipping", sa.Boolean(), nullable=False),
        sa.Column("default_billing", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("addresses_customer_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("addresses_pkey")),
    )
    op.create_index(op.f("addresses_customer_id_idx"), "addresses", ["customer_id"], unique=False)
    op.create_index(
        "addresses_one_default_billing",
        "addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("default_billing"),
    )
    op.create_index(
        "addresses_one_default_shipping",
        "addresses",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("default_shipping"),
    )


def downgrade() -> None:
    op.drop_index(
        "addresses_one_default_shipping",
        table_name="addresses",
        postgresql_where=sa.text("default_shipping"),
    )
    op.drop_index(
        "addresses_one_default_billing",
        table_name="addresses",
        postgresql_where=sa.text("default_billing"),
    )
    op.drop_index(op.f("addresses_customer_id_idx"), table_name="addresses")
    op.drop_table("addresses")
    op.drop_index(op.f("customers_email_idx"), table_name="customers")
    op.drop_table("customers")
