"""The course-file store: course folders as {path: bytes}, read from disk or a zip (safely),
stored in the database as the published files and their versions, written back.

A tree is the whole course folder: course.yml, module folders, lessons, quiz files, GIFT banks,
images. Paths are relative, with '/' separators, and never leave the folder. The browser editor
(lms.authoring) keeps drafts on top of the published tree.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from lms.content.models import CourseFile, CourseFileVersion
from lms.extensions import db
from lms.util import utcnow

MAX_FILES = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TREE_BYTES = 50 * 1024 * 1024
MAX_NAME_CHARS = 100  # one file or folder name
MAX_PATH_CHARS = 255  # a whole path inside the course folder
MAX_DEPTH = 8  # folders inside each other
MAX_RATIO = 100  # uncompressed / compressed, for entries above 1 MB (text compresses about 5-20 times)
# A stable time for zip entries, so the same files always give the same zip.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

Tree = dict[str, bytes]


class TreeError(ValueError):
    """A folder or zip that cannot be taken as a course: says what and where."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def clean_path(name: str) -> str | None:
    """The relative POSIX path of a zip entry or editor path, or None if it is unsafe."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/", 1)[0]:
        return None
    parts = PurePosixPath(name).parts
    if any(part in ("", ".", "..") for part in parts):
        return None
    if len(parts) > MAX_DEPTH or len(name) > MAX_PATH_CHARS or any(len(part) > MAX_NAME_CHARS for part in parts):
        return None
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        return None
    return "/".join(parts)


def path_problem(name: str) -> str | None:
    """Why a path cannot be a file of a course folder (for messages), or None."""
    if clean_path(name) == name:
        return None
    parts = name.split("/")
    if len(parts) > MAX_DEPTH:
        return f"{name[:120]}: folders nested more than {MAX_DEPTH} deep"
    if len(name) > MAX_PATH_CHARS or any(len(part) > MAX_NAME_CHARS for part in parts):
        return f"{name[:120]}…: a name longer than {MAX_NAME_CHARS} characters (or a path longer than {MAX_PATH_CHARS})"
    return f"{name[:120]}: a path outside the course folder (absolute, '..', or unusual characters) is not allowed"


def tree_problem(paths) -> str | None:
    """Why these paths cannot be written as one folder (a file and a folder of the same name), or None."""
    files = set(paths)
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in files:
                return f"'{folder}' is both a file and a folder"
    return None


def _skipped(parts: tuple[str, ...]) -> bool:
    """Hidden files and editor/OS clutter are not part of a course."""
    return any(p.startswith(".") or p in ("__pycache__", "__MACOSX", "Thumbs.db") for p in parts)


def read_folder(root: Path) -> Tree:
    """Every file under a course folder, within the limits."""
    tree: Tree = {}
    total = 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if _skipped(rel.parts) or path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TreeError(f"{rel.as_posix()}: file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
        total += size
        if total > MAX_TREE_BYTES or len(tree) >= MAX_FILES:
            raise TreeError(f"{root}: the course folder is larger than {MAX_TREE_BYTES // 1024 // 1024} MB "
                            f"or {MAX_FILES} files")
        tree[rel.as_posix()] = path.read_bytes()
    return tree


def read_zip(source: str | Path | bytes) -> list[Tree]:
    """The course folders in a zip: course.yml at its root, or one folder per course.

    Refuses, with what and where: paths outside the folder, over-long names, deep folders,
    links, encrypted entries, a name twice, a file and a folder of the same name, and archives
    beyond the limits by their headers (count, sizes, compression ratio). Sizes are counted
    again while unpacking, not trusted from the headers: a zip bomb stops early.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise TreeError(f"not a zip file ({exc})") from None
    with archive:
        entries = _checked_entries(archive.infolist())
        files = _unpack(archive, entries)
    return _course_trees(files)


def _checked_entries(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The zip's file entries, once its headers passed every check (TreeError says which not)."""
    if len(infos) > 2 * MAX_FILES:
        raise TreeError(f"the zip holds {len(infos)} entries; the limit is {MAX_FILES} files")
    entries = [info for info in infos if not info.is_dir()]
    if len(entries) > MAX_FILES:
        raise TreeError(f"the zip holds {len(entries)} files; the limit is {MAX_FILES}")
    declared = 0
    names: set[tuple[str, bool]] = set()
    for info in infos:
        name = clean_path(info.filename.rstrip("/") if info.is_dir() else info.filename)
        if name is None:
            raise TreeError(path_problem(info.filename) or info.filename)
        key = (name, info.is_dir())
        if key in names:
            raise TreeError(f"{name}: is in the zip twice")
        if (name, not info.is_dir()) in names:
            raise TreeError(f"'{name}' is both a file and a folder")
        names.add(key)
        if not info.is_dir():
            _check_entry(name, info)
            declared += info.file_size
    if declared > MAX_TREE_BYTES:
        raise TreeError(f"the zip unpacks to more than the limit ({declared // 1024 // 1024} MB; "
                        f"{MAX_TREE_BYTES // 1024 // 1024} MB in all)")
    problem = tree_problem([clean_path(info.filename) for info in entries])
    if problem:
        raise TreeError(problem)
    return entries


def _check_entry(name: str, info: zipfile.ZipInfo) -> None:
    """One file entry by its header: no link, no encryption, within the size and ratio limits."""
    if stat.S_ISLNK(info.external_attr >> 16):
        raise TreeError(f"{name}: links are not allowed")
    if info.flag_bits & 0x1:
        raise TreeError(f"{name}: encrypted files are not allowed")
    if info.file_size > MAX_FILE_BYTES:
        raise TreeError(f"{name}: unpacks to more than the limit ({info.file_size // 1024 // 1024} MB; "
                        f"{MAX_FILE_BYTES // 1024 // 1024} MB a file)")
    if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise TreeError(f"{name}: compressed more than {MAX_RATIO} times; not a course file")


def _unpack(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> Tree:
    """The entries' bytes, counted while unpacking (a zip bomb stops at the limit)."""
    files: Tree = {}
    total = 0
    for info in entries:
        name = clean_path(info.filename)
        if _skipped(PurePosixPath(name).parts):
            continue
        limit = min(MAX_FILE_BYTES, MAX_TREE_BYTES - total)
        try:
            with archive.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError,
                zlib.error) as exc:
            raise TreeError(f"{name}: cannot be unpacked ({exc})") from None
        if len(data) > limit:
            raise TreeError(f"{name}: unpacks to more than the limit "
                            f"({MAX_FILE_BYTES // 1024 // 1024} MB a file, {MAX_TREE_BYTES // 1024 // 1024} MB in all)")
        total += len(data)
        files[name] = data
    return files


def _course_trees(files: Tree) -> list[Tree]:
    """One course (course.yml at the root) or one per folder holding a course.yml."""
    if "course.yml" in files:
        return [files]
    roots = sorted({name.split("/", 1)[0] for name in files if name.count("/") == 1 and name.endswith("/course.yml")})
    if not roots:
        raise TreeError("the zip holds no course.yml (at its root or in a folder)")
    return [{name.split("/", 1)[1]: data for name, data in files.items() if name.startswith(root + "/")}
            for root in roots]


def write_folder(tree: Tree, root: Path) -> None:
    """Write a tree as a folder (for the loader, which reads folders); TreeError says which
    path cannot be written."""
    problem = tree_problem(tree)
    if problem:
        raise TreeError(problem)
    for name, data in tree.items():
        if clean_path(name) != name:
            raise TreeError(path_problem(name) or name)
        target = root / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise TreeError(f"{name}: cannot be written ({exc.strerror})") from None


def zip_trees(trees: dict[str, Tree]) -> bytes:
    """A zip with one folder per course; byte-identical for identical files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder in sorted(trees):
            for name in sorted(trees[folder]):
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, trees[folder][name])
    return buffer.getvalue()


# --- the tree in the database ---------------------------------------------------------------


def published_tree(course_id: int) -> Tree:
    return {f.path: f.data for f in db.session.scalars(
        select(CourseFile).where(CourseFile.course_id == course_id).order_by(CourseFile.path))}


@dataclass
class TreeChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff_trees(old: Tree, new: Tree) -> TreeChanges:
    return TreeChanges(
        added=sorted(set(new) - set(old)),
        changed=sorted(p for p in set(old) & set(new) if old[p] != new[p]),
        removed=sorted(set(old) - set(new)),
    )


def store_tree(course_id: int, tree: Tree, *, origin: str, author_id: int | None) -> TreeChanges:
    """Make `tree` the course's published files, keeping a version of each file that changed
    (flush only; the caller commits with the content sync, in one transaction)."""
    now = utcnow()
    current = {f.path: f for f in db.session.scalars(select(CourseFile).where(CourseFile.course_id == course_id))}
    changes = diff_trees({p: f.data for p, f in current.items()}, tree)
    for path in changes.added + changes.changed:
        data = tree[path]
        digest = sha256(data)
        row = current.get(path)
        if row is None:
            db.session.add(CourseFile(course_id=course_id, path=path, data=data, sha256=digest, updated_at=now))
        else:
            row.data, row.sha256, row.updated_at = data, digest, now
        db.session.add(CourseFileVersion(course_id=course_id, path=path, data=data, sha256=digest,
                                         origin=origin, author_id=author_id, created_at=now))
    for path in changes.removed:
        db.session.delete(current[path])
        db.session.add(CourseFileVersion(course_id=course_id, path=path, data=None, sha256="",
                                         origin=origin, author_id=author_id, created_at=now))
    db.session.flush()
    return changes
