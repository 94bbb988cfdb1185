#!/usr/bin/env python3
"""Build a single-layer OCI image layout from a directory tree and print its path.

usage: make-image.py SRC_DIR OUT_DIR [MAX_FILES] [MAX_BYTES]

Takes regular files, symlinks and directories from SRC_DIR (sorted, stopping at MAX_FILES files
or MAX_BYTES of file data), writes them as one gzip layer (level 6, like docker), and an OCI
image layout in OUT_DIR that `skopeo copy oci:OUT_DIR docker://...` can push.
"""
import gzip, hashlib, io, json, os, sys, tarfile

src, out = sys.argv[1], sys.argv[2]
max_files = int(sys.argv[3]) if len(sys.argv) > 3 else 7000
max_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 200 * 1024 * 1024

os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
raw = io.BytesIO()
files = total = 0
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for root, dirs, names in os.walk(src):
        dirs.sort()
        rel_root = os.path.relpath(root, src)
        for n in sorted(names):
            p = os.path.join(root, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not (os.path.isfile(p) or os.path.islink(p)):
                continue
            # Like a distribution rootfs: many small files, some large ones.
            if st.st_size > 8 * 1024 * 1024 or files >= max_files or total + st.st_size > max_bytes:
                continue
            arc = os.path.normpath(os.path.join("rootfs", rel_root, n))
            try:
                ti = tar.gettarinfo(p, arcname=arc)
            except OSError:
                continue
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            if ti.isreg():
                try:
                    with open(p, "rb") as f:
                        tar.addfile(ti, f)
                except OSError:
                    continue
                total += st.st_size
            else:
                tar.addfile(ti)
            files += 1
tar_bytes = raw.getvalue()
diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
layer = gzip.compress(tar_bytes, compresslevel=6, mtime=0)

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}

config = json.dumps({
    "architecture": "amd64", "os": "linux",
    "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
}).encode()
c = blob(config)
l = blob(layer)
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **c},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **l}],
}).encode()
m = blob(manifest)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
               "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
print(f"{files} files, {total / 1e6:.1f} MB extracted, layer {len(layer) / 1e6:.1f} MB gzip", file=sys.stderr)
