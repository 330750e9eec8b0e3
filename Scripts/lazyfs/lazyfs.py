#!/usr/bin/env python3
"""A FUSE file system that loses what was not synced, as a power cut does.

`lazyfs.py BACKING MOUNTPOINT` mounts BACKING at MOUNTPOINT. Reads and
directory operations pass through; file *data* written through the mount is
held in memory, per file, until the file is fsync'ed (or fdatasync'ed), and
only then written to BACKING. SIGUSR1 drops every unsynced byte (and every
unsynced change of size): the moment of a power cut, after which BACKING
holds exactly what a disk that honours fsync would hold. This is the idea of
LazyFS (Jepsen's fault-injection file system), written small.

What it does not model: directory entries are durable at once (a real power
cut can also lose a file created or renamed since the directory's last
fsync), and writes are not torn within a page. The in-process power-cut
layer of chapter 1 (PowerCutFileSystem) models both; this one exists to run
the real binary over a real kernel file system path.
"""
import errno
import os
import signal
import sys
import threading

from fuse import FUSE, FuseOSError, Operations


class Lazy(Operations):
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.lock = threading.RLock()
        # path -> {"size": int, "pages": {offset: bytes}} for unsynced writes
        self.dirty = {}
        signal.signal(signal.SIGUSR1, lambda *_: self.drop())

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def drop(self):
        with self.lock:
            lost = sum(sum(len(b) for b in d["writes"]) for d in self.dirty.values())
            self.dirty.clear()
        print(f"lazyfs: power cut, {lost} unsynced bytes dropped", file=sys.stderr, flush=True)

    # The file's current contents as the mount shows them: the backing file
    # with the unsynced writes laid over it, in order.
    def _apply(self, path, data, offset, size):
        d = self.dirty.get(path)
        if not d:
            return data
        buf = bytearray(data)
        view_size = d["size"]
        if len(buf) < min(view_size, offset + size) - offset:
            buf.extend(b"\0" * (min(view_size, offset + size) - offset - len(buf)))
        if d["truncated"] and d["base"] - offset < len(buf):
            cut = max(0, d["base"] - offset)
            buf[cut:] = b"\0" * (len(buf) - cut)  # past a truncation, only new writes
        for w_off, w_bytes in zip(d["offsets"], d["writes"]):
            start = max(w_off, offset)
            end = min(w_off + len(w_bytes), offset + size)
            if start < end:
                buf[start - offset:end - offset] = w_bytes[start - w_off:end - w_off]
        return bytes(buf[:max(0, min(view_size, offset + size) - offset)])

    def _size(self, path):
        d = self.dirty.get(path)
        return d["size"] if d else os.lstat(self._full(path)).st_size

    def _flush(self, path):
        d = self.dirty.pop(path, None)
        if not d:
            return
        fd = os.open(self._full(path), os.O_WRONLY)
        try:
            os.ftruncate(fd, d["base"]) if d["truncated"] else None
            for w_off, w_bytes in zip(d["offsets"], d["writes"]):
                os.pwrite(fd, w_bytes, w_off)
            os.ftruncate(fd, d["size"])
            os.fsync(fd)
        finally:
            os.close(fd)

    def _entry(self, path):
        d = self.dirty.get(path)
        if d is None:
            size = os.lstat(self._full(path)).st_size
            d = {"size": size, "base": size, "truncated": False, "offsets": [], "writes": []}
            self.dirty[path] = d
        return d

    # Metadata and directories: straight through.
    def getattr(self, path, fh=None):
        with self.lock:
            st = os.lstat(self._full(path))
            attrs = {key: getattr(st, key) for key in (
                "st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")}
            if path in self.dirty:
                attrs["st_size"] = self.dirty[path]["size"]
            return attrs

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def unlink(self, path):
        with self.lock:
            self.dirty.pop(path, None)
            os.unlink(self._full(path))

    def rename(self, old, new):
        with self.lock:
            if old in self.dirty:
                self.dirty[new] = self.dirty.pop(old)
            else:
                self.dirty.pop(new, None)
            os.rename(self._full(old), self._full(new))

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def utimens(self, path, times=None):
        os.utime(self._full(path), times)

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {key: getattr(st, key) for key in (
            "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize",
            "f_namemax")}

    # Files.
    def create(self, path, mode, fi=None):
        fd = os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        os.close(fd)
        return 0

    def open(self, path, flags):
        if flags & os.O_TRUNC:
            self.truncate(path, 0)
        return 0

    def read(self, path, size, offset, fh):
        with self.lock:
            with open(self._full(path), "rb") as f:
                f.seek(offset)
                data = f.read(size)
            return self._apply(path, data, offset, size)

    def write(self, path, data, offset, fh):
        with self.lock:
            d = self._entry(path)
            d["offsets"].append(offset)
            d["writes"].append(bytes(data))
            d["size"] = max(d["size"], offset + len(data))
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.lock:
            d = self._entry(path)
            # Keep the writes below the cut; the cut itself is unsynced too.
            kept = [(o, w[:max(0, length - o)]) for o, w in zip(d["offsets"], d["writes"]) if o < length]
            d["offsets"] = [o for o, _ in kept]
            d["writes"] = [w for _, w in kept]
            d["base"] = min(d["base"], length)
            d["truncated"] = True
            d["size"] = length

    def fsync(self, path, datasync, fh):
        with self.lock:
            self._flush(path)
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    FUSE(Lazy(sys.argv[1]), sys.argv[2], foreground=True, nothreads=False, allow_other=False)
