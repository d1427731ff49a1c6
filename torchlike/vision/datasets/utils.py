"""Checksums, downloads and the errors for missing or damaged dataset files."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request

USER_AGENT = "torchlike"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5):
    return md5 == calculate_md5(fpath)


def check_integrity(fpath, md5=None):
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def download_url(url, root, filename=None, md5=None, timeout=30):
    """Download url into root/filename (atomically), verifying md5 when given."""
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(dir=root, prefix="." + filename, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(req, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        if md5 is not None and not check_md5(tmp, md5):
            raise RuntimeError(f"The MD5 checksum of the file downloaded from {url} does not "
                               f"match {md5}: the download is corrupted.")
        os.replace(tmp, fpath)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return fpath


def download_from_mirrors(mirrors, filename, folder, md5):
    """Try each mirror; returns None on success, else a description of the failures."""
    errors = []
    for mirror in mirrors:
        url = f"{mirror}{filename}"
        try:
            print(f"Downloading {url}")
            download_url(url, root=folder, filename=filename, md5=md5)
            return None
        except (urllib.error.URLError, OSError, RuntimeError, ValueError) as e:
            errors.append(f"{url}: {e}")
    return "; ".join(errors)


def missing_files_error(cls_name, folder, files, mirrors, reason=None, hint=""):
    files_txt = ", ".join(files)
    msg = (f"Dataset not found: {cls_name} needs {files_txt} in {folder}")
    if reason:
        msg += f", and downloading them failed ({reason})"
    else:
        msg += ". You can use download=True to download it"
    if mirrors:
        msg += f". Download them from {mirrors[0]} (or copy them from another machine) into " \
               f"{folder}"
    return RuntimeError(msg + hint)
