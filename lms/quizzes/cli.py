"""`flask quizzes import-gift|import-aiken|import-xml|export-gift|export-xml`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.gift import parse_aiken, parse_gift, write_gift
from lms.quizzes.models import Question, QuestionBank
from lms.quizzes.moodlexml import MAX_XML_BYTES, parse_moodle_xml, write_moodle_xml
from lms.quizzes.spec import QuestionSpec
from lms.quizzes.types import question_spec
from lms.quizzes.sync import get_or_create_bank, sync_bank

quizzes_cli = AppGroup("quizzes", help="Question banks: Moodle GIFT, Moodle XML and Aiken import and export.")


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        click.echo(f"error: no course with slug '{slug}'", err=True)
        sys.exit(1)
    return course


def _import(parser, file: Path, course_slug: str, bank_name: str, binary: bool = False) -> None:
    course = _course(course_slug)
    if binary:  # XML names its own encoding
        with file.open("rb") as handle:
            text = handle.read(MAX_XML_BYTES + 1)
    else:
        if file.stat().st_size > MAX_XML_BYTES:  # the same bound as Moodle XML files
            click.echo(f"{file}: error: the file is larger than {MAX_XML_BYTES // (1024 * 1024)} MB", err=True)
            sys.exit(1)
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            click.echo(f"{file}: error: not UTF-8 text (save the file as UTF-8)", err=True)
            sys.exit(1)
    parsed = parser(text, str(file))
    for problem in parsed.problems:
        click.echo(str(problem), err=True)
    if parsed.problems.has_errors:
        errors = sum(1 for p in parsed.problems if p.severity == "error")
        click.echo(f"{errors} error(s): nothing was imported.", err=True)
        sys.exit(1)
    bank, created = get_or_create_bank(course, bank_name)
    # Importing adds and updates; questions missing from this file stay in the bank.
    report = sync_bank(bank, parsed.questions, archive_missing=False)
    db.session.commit()
    by_type: dict[str, int] = {}
    for q in parsed.questions:
        by_type[q.qtype] = by_type.get(q.qtype, 0) + 1
    categories = sorted({q.category for q in parsed.questions if q.category})
    click.echo(f"bank '{bank_name}' in {course_slug}: {len(report['added'])} added, "
               f"{len(report['changed'])} changed, {len(report['unchanged'])} unchanged")
    click.echo("types: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())))
    if categories:
        click.echo("categories: " + ", ".join(categories))


@quizzes_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", required=True)
@click.option("--bank", "bank_name", required=True, help="Name of the question bank to add to.")
def import_gift_command(file: Path, course_slug: str, bank_name: str) -> None:
    """Import a Moodle GIFT file into a question bank (all or nothing)."""
    _import(parse_gift, file, course_slug, bank_name)


@quizzes_cli.command("import-aiken")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", required=True)
@click.option("--bank", "bank_name", required=True)
def import_aiken_command(file: Path, course_slug: str, bank_name: str) -> None:
    """Import an Aiken file (single-choice questions) into a question bank."""
    _import(parse_aiken, file, course_slug, bank_name)


@quizzes_cli.command("import-xml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", required=True)
@click.option("--bank", "bank_name", required=True, help="Name of the question bank to add to.")
def import_xml_command(file: Path, course_slug: str, bank_name: str) -> None:
    """Import a Moodle XML question file into a question bank (all or nothing)."""
    _import(parse_moodle_xml, file, course_slug, bank_name, binary=True)


def bank_specs(bank: QuestionBank) -> list[QuestionSpec]:
    """The bank's active questions back in source form."""
    questions = db.session.scalars(select(Question).where(Question.bank_id == bank.id, Question.archived_at.is_(None))
                                   .order_by(Question.position))
    return [question_spec(q) for q in questions]


def _bank(course_slug: str, bank_name: str) -> QuestionBank:
    course = _course(course_slug)
    bank = db.session.scalar(select(QuestionBank).where(QuestionBank.course_id == course.id,
                                                        QuestionBank.name == bank_name))
    if bank is None:
        names = ", ".join(db.session.scalars(select(QuestionBank.name).where(QuestionBank.course_id == course.id)))
        click.echo(f"error: no bank '{bank_name}' in {course_slug} (banks: {names or 'none'})", err=True)
        sys.exit(1)
    return bank


def _write(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@quizzes_cli.command("export-gift")
@click.option("--course", "course_slug", required=True)
@click.option("--bank", "bank_name", required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
def export_gift_command(course_slug: str, bank_name: str, output: Path | None) -> None:
    """Write a question bank as GIFT, for Moodle."""
    _write(write_gift(bank_specs(_bank(course_slug, bank_name))), output)


@quizzes_cli.command("export-xml")
@click.option("--course", "course_slug", required=True)
@click.option("--bank", "bank_name", required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
def export_xml_command(course_slug: str, bank_name: str, output: Path | None) -> None:
    """Write a question bank as Moodle XML (Moodle's question bank imports it)."""
    _write(write_moodle_xml(bank_specs(_bank(course_slug, bank_name))), output)
