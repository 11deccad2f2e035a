"""`flask users create`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lms.accounts.models import Role
from lms.accounts.operations import AccountError, create_user, new_token, user_by_email
from lms.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@click.option("--institution", default=None)
def create_command(role: str, email: str, full_name: str, password: str, institution: str | None) -> None:
    """Create an account with the given role."""
    if len(password) < 8:
        click.echo("error: the password must have at least 8 characters", err=True)
        sys.exit(1)
    try:
        user = create_user(email=email, full_name=full_name, password=password, role=Role(role),
                           institution=institution)
    except AccountError as exc:
        db.session.rollback()
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("token")
@click.option("--email", required=True, help="The organizer (or admin) the token acts for.")
@click.option("--name", "token_name", required=True, help="What the token is for, e.g. 'dashboard dinas'.")
def token_command(email: str, token_name: str) -> None:
    """Create an API token (printed once; only its hash is stored)."""
    user = user_by_email(email)
    if user is None or user.role not in (Role.ORGANIZER.value, Role.ADMIN.value):
        click.echo("error: no organizer or admin account has this email", err=True)
        sys.exit(1)
    token = new_token(user, token_name)
    db.session.commit()
    click.echo(token)
