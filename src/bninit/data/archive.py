"""Safe archive extraction: tarfile's 'data' filter (no absolute paths, no `..` escapes, no links
out of the tree), into a temporary folder that is renamed into place only when complete."""

import shutil
import tarfile
import tempfile
from pathlib import Path

from bninit.errors import UserError


def extract(archive: Path, dest: Path, folder: str, dataset: str) -> Path:
    """Extract `archive` and move its top-level `folder` to dest/folder; return that path.

    Nothing appears under dest/folder unless the whole archive was read; an unsafe or broken
    archive, or one without `folder`, raises UserError naming the dataset and the archive.
    """
    target = dest / folder
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=f".{folder}.extract-"))
    try:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, OSError, EOFError) as err:
            raise UserError(f"dataset '{dataset}': cannot extract {archive}: {err}") from None
        if not (staging / folder).is_dir():
            raise UserError(
                f"dataset '{dataset}': {archive} has no top-level folder {folder}/; "
                f"expected the official archive"
            )
        (staging / folder).rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
