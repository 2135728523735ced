"""Verification policies: which rules apply, which are fatal, whom to trust.

Built-in profiles (``vnsign verify --profile``):

* ``technical``: EN 319 102-1 validity only (integrity, coverage, modifications,
  algorithms, chain, validity and revocation at signing time);
* ``vn-legal`` (default): technical plus the legal conditions of Vietnamese law
  (trust path to the Vietnamese roots, signer identity, time stamps), and the
  e-invoice and edXML rules when the document is one of those;
* ``nd30``: vn-legal plus the Decree 30/2020 form rules for administrative PDFs;
* ``einvoice`` and ``edxml``: vn-legal with that container's rules fatal.

A TOML policy file starts from a profile and changes it::

    base = "nd30"                      # the profile to start from
    [trust]
    profile = "legacy"                 # default | legacy | none
    anchors = ["roots/partner.pem"]    # files or folders, relative to this file
    regime = "foreign"                 # regime of those anchors
    [algorithms]
    min_rsa_bits = 3072
    min_ec_bits = 256
    cutoff = "2025-08-15"              # SHA-1 and short RSA keys tolerated before this date
    [revocation]
    required = true
    methods = ["ocsp", "crl"]          # which to ask online, in order
    [rules]
    fatal = ["ND30-SIG-ORG-IMG"]       # failing these makes the document invalid
    warn = ["ND30-SIG-PERSON-IMG"]     # failing these is only a warning
    disable = ["ND68-MIGRATION"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from vnsign.errors import PolicyError
from vnsign.pki.algorithms import VIETNAM, AlgorithmPolicy
from vnsign.pki.identity import Regime
from vnsign.pki.trust import TrustProfile

__all__ = ["PROFILES", "Policy", "load_policy"]

TECHNICAL_RULES = frozenset(
    {
        "TECH-SIGNED",
        "TECH-FORMAT",
        "TECH-HASH",
        "TECH-SIG",
        "TECH-COVERAGE",
        "TECH-MODIFIED",
        "TECH-KEY-USAGE",
        "TECH-SIGNING-TIME",
        "STD-TT15-CRYPTO",
        "TT15-TRUST-PATH",
        "ND68-CERT-VALID",
        "ND23-VALID-CERT",
        "LGDDT-TSA",
    }
)
LEGAL_RULES = frozenset({"SUBJ-UID"})
EINVOICE_RULES = frozenset(
    {
        "EINV-STRUCTURE",
        "EINV-REFS",
        "EINV-C14N",
        "EINV-SIGNINGTIME",
        "EINV-ALGS",
        "EINV-KEYINFO",
        "EINV-MST-MATCH",
        "EINV-TAX-CERT",
    }
)
EDXML_RULES = frozenset({"EDXML-HEADER", "EDXML-FORMATS", "ORGID-CODES", "EDXML-ATTACHMENTS"})
ND30_RULES = frozenset(
    {
        "ND30-SIGN-ORDER",
        "ND30-SIG-PERSON-IMG",
        "ND30-SIG-ORG-IMG",
        "ND30-SIG-ATTACH-SEPFILE",
        "ND30-COPY-SIG",
        "ND30-TIME-FORMAT",
        "ND68-MIGRATION",
    }
)


@dataclass(frozen=True)
class Policy:
    """What a verification checks and how strictly."""

    name: str
    rules: frozenset[str]  #: enabled rule IDs
    fatal: frozenset[str]  #: rule IDs whose failure makes a document invalid
    trust_profile: TrustProfile = TrustProfile.DEFAULT
    trust_anchors: tuple[Path, ...] = ()
    trust_regime: Regime = Regime.UNKNOWN
    algorithms: AlgorithmPolicy = field(default_factory=AlgorithmPolicy)
    require_revocation: bool = True
    revocation_methods: tuple[str, ...] = ("ocsp", "crl")  #: asked in this order when online
    migration_deadline: datetime = datetime(2025, 12, 31, 23, 59, 59, tzinfo=VIETNAM)

    def enabled(self, rule_id: str) -> bool:
        """Whether ``rule_id`` runs under this policy."""
        return rule_id in self.rules

    def is_fatal(self, rule_id: str) -> bool:
        """Whether failing ``rule_id`` makes the document invalid (else a warning)."""
        return rule_id in self.fatal


# EN 319 102-1 leaves weak algorithms INDETERMINATE; Vietnamese law makes the limits
# mandatory (STD-TT15-CRYPTO), so only the legal profiles fail on them.
_TECHNICAL = Policy("technical", TECHNICAL_RULES, TECHNICAL_RULES - {"STD-TT15-CRYPTO"})
_LEGAL = Policy(
    "vn-legal",
    TECHNICAL_RULES | LEGAL_RULES | EINVOICE_RULES | EDXML_RULES,
    TECHNICAL_RULES
    | (EINVOICE_RULES - {"EINV-ALGS", "EINV-KEYINFO"})
    | (EDXML_RULES - {"EDXML-FORMATS"}),
)
PROFILES: dict[str, Policy] = {
    "technical": _TECHNICAL,
    "vn-legal": _LEGAL,
    "nd30": replace(
        _LEGAL,
        name="nd30",
        rules=_LEGAL.rules | ND30_RULES,
        fatal=_LEGAL.fatal
        | {"ND30-SIGN-ORDER", "ND30-SIG-ATTACH-SEPFILE", "ND30-COPY-SIG", "ND30-TIME-FORMAT"},
    ),
    "einvoice": replace(_LEGAL, name="einvoice", fatal=_LEGAL.fatal | EINVOICE_RULES),
    "edxml": replace(_LEGAL, name="edxml", fatal=_LEGAL.fatal | EDXML_RULES),
}


def load_policy(source: str | Path) -> Policy:
    """A built-in profile by name, or a TOML policy file (see the module docstring)."""
    if isinstance(source, str) and source in PROFILES:
        return PROFILES[source]
    path = Path(source)
    if not path.is_file():
        raise PolicyError(f"no profile or policy file {source!r}; profiles: {', '.join(PROFILES)}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: not a valid TOML policy: {exc}") from exc
    return _from_toml(data, path)


def _from_toml(data: dict[str, object], path: Path) -> Policy:
    known = {"base", "name", "trust", "algorithms", "revocation", "rules"}
    unknown = set(data) - known
    if unknown:
        raise PolicyError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    base_name = str(data.get("base", "vn-legal"))
    if base_name not in PROFILES:
        raise PolicyError(f"{path}: base must be one of {', '.join(PROFILES)}, not {base_name!r}")
    policy = replace(PROFILES[base_name], name=str(data.get("name", path.stem)))

    trust = _table(data, "trust", path)
    if trust:
        try:
            profile = TrustProfile(str(trust.get("profile", policy.trust_profile.value)))
            regime = Regime(str(trust.get("regime", Regime.UNKNOWN.value)))
        except ValueError as exc:
            raise PolicyError(f"{path}: [trust] {exc}") from exc
        anchors = tuple((path.parent / str(a)).resolve() for a in _list(trust, "anchors", path))
        policy = replace(policy, trust_profile=profile, trust_anchors=anchors, trust_regime=regime)

    algorithms = _table(data, "algorithms", path)
    if algorithms:
        current = policy.algorithms
        try:
            cutoff = algorithms.get("cutoff")
            policy = replace(
                policy,
                algorithms=replace(
                    current,
                    min_rsa_bits=int(algorithms.get("min_rsa_bits", current.min_rsa_bits)),  # type: ignore[call-overload]
                    min_ec_bits=int(algorithms.get("min_ec_bits", current.min_ec_bits)),  # type: ignore[call-overload]
                    cutoff=_moment(cutoff) if cutoff is not None else current.cutoff,
                ),
            )
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"{path}: [algorithms] {exc}") from exc

    revocation = _table(data, "revocation", path)
    if "required" in revocation:
        policy = replace(policy, require_revocation=bool(revocation["required"]))
    if "methods" in revocation:
        methods = tuple(_list(revocation, "methods", path))
        if not methods or set(methods) - {"ocsp", "crl"}:
            raise PolicyError(f'{path}: [revocation] methods must be a list of "ocsp" and "crl"')
        policy = replace(policy, revocation_methods=methods)

    rules = _table(data, "rules", path)
    fatal, warn, disable = (set(_list(rules, key, path)) for key in ("fatal", "warn", "disable"))
    everything = TECHNICAL_RULES | LEGAL_RULES | EINVOICE_RULES | EDXML_RULES | ND30_RULES
    unknown_rules = (fatal | warn | disable) - everything
    if unknown_rules:
        raise PolicyError(f"{path}: unknown rule ID(s) {', '.join(sorted(unknown_rules))}")
    return replace(
        policy,
        rules=(policy.rules | fatal | warn) - disable,
        fatal=(policy.fatal | fatal) - warn - disable,
    )


def _table(data: dict[str, object], key: str, path: Path) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PolicyError(f"{path}: [{key}] must be a table")
    return value


def _list(table: dict[str, object], key: str, path: Path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{path}: {key} must be a list of strings")
    return value


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VIETNAM)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=VIETNAM)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)
