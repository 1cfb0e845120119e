from pathlib import Path


def load_document(base_dir: str, name: str) -> str:
    return (Path(base_dir) / name).read_text()
