"""The editor's working tree: the published course files (lms.content.files) with its drafts applied."""

from __future__ import annotations

from sqlalchemy import select

from lms.authoring.models import CourseFileDraft
from lms.content.files import Tree, published_tree
from lms.extensions import db


def drafts(course_id: int) -> dict[str, CourseFileDraft]:
    return {d.path: d for d in db.session.scalars(
        select(CourseFileDraft).where(CourseFileDraft.course_id == course_id).order_by(CourseFileDraft.path))}


def working_tree(course_id: int) -> Tree:
    """The published files with every draft applied: what publishing would make live."""
    tree = published_tree(course_id)
    for path, draft in drafts(course_id).items():
        if draft.data is None:
            tree.pop(path, None)
        else:
            tree[path] = draft.data
    return tree
