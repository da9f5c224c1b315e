"""Types of the native module (crates/kairos-py/src/). The public API is re-exported by
``kairos``; ``replay`` here takes only bytes, a path or IPC stream pieces (``kairos.replay``
turns Arrow data into those)."""

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

__version__: str

JSON = Union[str, bytes, Mapping[str, Any]]
"""A JSON value as text (``str`` or UTF-8 ``bytes``), or as Python values (``json.dumps``-able)."""

class KairosError(ValueError):
    """Every kairos failure. ``str(err)`` is ``"E_CODE: message"``."""

    code: str
    """The stable code, ``E_…`` (docs/errors.md)."""
    message: str
    """What is wrong, and where."""
    path: Optional[str]
    """The JSON path (``events[2].t``), the event field, or the Arrow/Parquet column at fault."""
    line: Optional[int]
    """1-based line of text input (for Arrow and Parquet input: the row, in the order read)."""
    column: Optional[int]
    """1-based column, in characters, of text input."""

class Engine:
    """A loaded bundle. Load once, decide many times; safe to share between threads."""

    @staticmethod
    def load(bundle: bytes, public_key: Union[str, bytes, None] = None) -> "Engine":
        """A compiled bundle (``kairos compile``); with ``public_key`` (64 hex digits, a
        ``kairos keygen`` ``.pub`` file's bytes, or 32 raw bytes) only one signed by that key.
        Raises E_BUNDLE_* or E_KEY."""
    @staticmethod
    def compile(rules: JSON) -> "Engine":
        """Rules as JSON (text or dict) or in the text language, compiled and loaded as
        ``kairos compile`` would. Raises E_SYNTAX, E_UNKNOWN_SEGMENT, … with line and caret."""
    @property
    def bundle(self) -> bytes:
        """The bundle's bytes as loaded (a signed bundle keeps its signature)."""
    @property
    def bundle_id(self) -> Optional[str]:
        """Payload length and checksum: what exposures name."""
    @property
    def name(self) -> str: ...
    @property
    def segments(self) -> List[str]:
        """Segment names, in bundle order."""
    @property
    def slots(self) -> List[str]:
        """Slot names, in bundle order."""
    def decide(self, context: JSON, explain: bool = False) -> Dict[str, Any]:
        """The decision ``kairos decide`` prints, as a dict: ``{"slots": {NAME: {...}},
        "consent", "holdout", "missing"}``. Raises E_CONTEXT with ``path``."""
    def render(self, slot: str, context: JSON) -> Dict[str, Any]:
        """One slot's decision (``variant``, ``is_default``, ``content``, ``reason``). E_SLOT."""
    def visitor(self, person: Optional[JSON] = None) -> "Visitor":
        """A resident visitor; ``person``: ``{customer_id?, anonymous_id?, consent?, profile?,
        scores?, timezone?, utc_offset?}``."""
    def restore(self, saved: bytes) -> "Visitor":
        """A visitor from ``Visitor.save()``. E_VISITOR_VERSION, E_VISITOR_BUNDLE, E_VISITOR_CORRUPT."""

class Visitor:
    """One person, resident: ``track`` events, ``decide`` per moment, ``save`` between processes."""

    def track(self, event: JSON) -> None:
        """One event ``{e|event, t|timestamp, p|properties}``. E_EVENT naming the field."""
    def track_all(self, events: Union[str, bytes, Sequence[Mapping[str, Any]]]) -> int:
        """Events in order, all or none (E_EVENT with ``path`` ``[i].field``). Returns the count."""
    def decide(self, moment: JSON, explain: bool = False) -> Dict[str, Any]:
        """``moment``: ``{now, session?, geo?, timezone?, utc_offset?, event?}``. E_CONTEXT."""
    def render(self, slot: str, moment: JSON) -> Dict[str, Any]: ...
    def set_person(self, person: JSON) -> None:
        """Replaces identity, consent, profile and scores; the history stays."""
    def preview(self, token: str, public_key: str, now: int) -> str:
        """Forces a QA preview token's variants (docs/preview.md); returns what the bundle lacks.
        E_PREVIEW, E_PREVIEW_EXPIRED, E_KEY."""
    @property
    def has_consent(self) -> bool: ...
    @property
    def memory_bytes(self) -> int: ...
    def save(self) -> bytes:
        """Compact, versioned bytes (``KVIS``…): store only with consent."""
    def __len__(self) -> int:
        """Events kept."""

class Report:
    """What a replay counted."""

    def to_json(self) -> str:
        """Exactly what ``kairos replay --format json`` prints."""
    def to_dict(self) -> Dict[str, Any]:
        """``json.loads(to_json())``: ``{"bundle", "step_ms", "segments", "slots", "missing",
        "stats", "bad_lines", "steps": [{"time", "at", "active", "evicted", "segments": {NAME:
        {"size", "entered", "left", "unknown"}}, "slots", "missing"}], ...}``."""
    def to_arrow(self) -> Any:
        """A ``pyarrow.Table``, one row per step and segment: ``step`` (timestamp[ms, UTC]),
        ``segment`` (string), ``size``, ``entered``, ``left``, ``unknown`` (int64)."""
    def svg(self) -> str:
        """Segment sizes over time with entries and exits, one panel per segment."""
    def table(self) -> str:
        """The plain-text report ``kairos replay`` prints by default."""
    def csv(self) -> str:
        """One row per step, as ``kairos replay --format csv``."""
    @property
    def segments(self) -> List[str]: ...
    @property
    def steps(self) -> List[int]:
        """Step boundaries, epoch ms."""
    @property
    def step_ms(self) -> int: ...

def bucket(salt: str, customer_id: str) -> int:
    """The customer's bucket 0–9999 for ``salt`` (docs/bucketing.md)."""

def compile(rules: JSON) -> bytes:
    """Rules (JSON or text) compiled into bundle bytes, as ``kairos compile`` writes them."""

def epoch_ms(text: str) -> int:
    """Epoch ms of an RFC 3339 timestamp, parsed as replays parse ``timestamp``. E_TIME."""

def epoch_ms_all(texts: List[Optional[str]]) -> List[Optional[int]]:
    """``epoch_ms`` of each text; None where there is none or it does not parse."""

def duration_ms(value: Union[str, int]) -> int:
    """A duration (``"1h"``, ``"1d"``, or ms) in ms, as ``replay`` reads ``step``. E_DURATION."""

def replay(
    engine: Engine,
    events: Union[bytes, bytearray, str, "os.PathLike[str]", Iterable[bytes]],
    *,
    step: Union[str, int],
    start: Union[str, int, None] = None,
    end: Union[str, int, None] = None,
    lookback: Union[str, int, None] = None,
    session_timeout: Union[str, int],
    skip_bad: bool = False,
    assume_consent: bool = True,
    threads: Optional[int] = None,
) -> Report: ...
