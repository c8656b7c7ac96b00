"""Builds the wheel: runs `swift build -c release` in the enclosing Swift
package (or picks up $SWKAS_PREBUILT_LIBRARY), then ships libswkas.so and the
headers of include/ inside the package, so nothing is needed at import time."""
import os
import pathlib
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        library = os.environ.get("SWKAS_PREBUILT_LIBRARY")
        if not library:
            subprocess.run(["swift", "build", "-c", "release", "--package-path", str(ROOT)], check=True)
            library = ROOT / ".build" / "release" / "libswkas.so"
        package = pathlib.Path(self.build_lib) / "swkas"
        (package / "_lib").mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, package / "_lib" / "libswkas.so")
        (package / "include").mkdir(exist_ok=True)
        for header in ("kastore.h", "swkas.h"):
            shutil.copy2(ROOT / "include" / header, package / "include" / header)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
