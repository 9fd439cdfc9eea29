"""The relation prover itself (``codegen.proofs.optimizer``) must reject what is false.

The generated checks show that the declared relations are proved; these tests
show that the same machinery fails, and says why, when a relation is wrong:
a false equivalence prints its nonzero residual, a true one declared false
finds no counterexample, a missing or superfluous invariance condition is
caught, a radical rule forced where it does not hold is caught by the
numeric guard, and a bad declaration stops the build naming the file.
"""

from __future__ import annotations

import dataclasses

import pytest
from helpers import SPECS_DIR
from sympy import Interval, oo, sqrt, symbols

import trainspec
from codegen.emit.checks.optimizer import relations_check_module
from codegen.errors import SpecError
from codegen.language.optimizer import eta, g, t, w
from codegen.language.relations import Equivalence, ScaleInvariance, SpecUpdate, Unbiased, WrittenUpdate
from codegen.lower.relations import check_relation, optimizer_relations, resolve
from codegen.proofs import optimizer as optimizer_proofs
from codegen.proofs.optimizer import Confirmation, confirm, find, load_specs, prove, simplify_residual
from codegen.validate.optimizer import validate

REGISTRY = load_specs(SPECS_DIR)

rho, epsilon, v, A, A0 = symbols("rho epsilon v A A_0")
beta_1, beta_2, m = symbols("beta_1 beta_2 m")
mu = symbols("mu")

ADAGRAD_FROM_ZERO = SpecUpdate("Adagrad", substitution={A0: 0})
RHO_ONE_IS_ADAGRAD = Equivalence(
    name="rho_one_is_adagrad",
    statement="The seed's claim: RMSprop with ρ = 1 is Adagrad (false).",
    left=SpecUpdate("RMSprop", substitution={rho: 1}),
    right=ADAGRAD_FROM_ZERO,
    state_map={v: A},
)
GRADIENT_DESCENT = WrittenUpdate("gradient descent", assignments=((w, w - eta * g),))
MOMENTUM_ZERO = Equivalence(
    name="momentum_zero",
    statement="SGD with momentum 0 is gradient descent.",
    left=SpecUpdate("SGD", options={"momentum": True}, substitution={mu: 0}),
    right=GRADIENT_DESCENT,
)


def numeric(relation) -> Confirmation:
    return confirm(relation, REGISTRY, trainspec, seed=7, tolerance=1e-12, differs=1e-6)


def check_modules(registry):
    """The check module of every optimizer spec file that declares relations."""
    modules = (relations_check_module(spec, registry, "../../specs", "trainspec") for spec in registry.optimizers)
    return [module for module in modules if module is not None]


def test_a_false_equivalence_fails_and_prints_the_residual() -> None:
    proof = prove(RHO_ONE_IS_ADAGRAD, REGISTRY)
    assert not proof.proved
    # Step 1 already differs: RMSprop's average stays 0, so its step is ηg/√ε instead of ηg/√(g² + ε).
    assert "after step 1, the residual of w is" in proof.report
    assert "sqrt(epsilon)" in proof.report and "NOT proved" in proof.report


def test_the_same_relation_declared_false_is_proved_by_an_exact_counterexample() -> None:
    proof = prove(dataclasses.replace(RHO_ONE_IS_ADAGRAD, holds=False), REGISTRY)
    assert proof.proved, proof.report
    assert "the residual is exactly" in proof.report


def test_keras_adam_with_the_paper_epsilon_held_constant_is_not_proved() -> None:
    m_hat, v_hat = symbols("m_hat v_hat")
    paper = WrittenUpdate(
        "paper Adam, constant ε",
        assignments=(
            (m, beta_1 * m + (1 - beta_1) * g),
            (v, beta_2 * v + (1 - beta_2) * g**2),
            (m_hat, m / (1 - beta_1**t)),
            (v_hat, v / (1 - beta_2**t)),
            (w, w - eta * m_hat / (sqrt(v_hat) + epsilon)),
        ),
        initial={m: 0, v: 0},
    )
    claim = Equivalence(
        "adam_constant_epsilon", "Keras Adam is paper Adam with ε = ε̂ (false).", SpecUpdate("Adam"), paper
    )
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "the residual of w is" in proof.report and "epsilon" in proof.report


def test_a_true_equivalence_declared_false_finds_no_counterexample() -> None:
    proof = prove(dataclasses.replace(MOMENTUM_ZERO, holds=False), REGISTRY)
    assert not proof.proved
    assert "no counterexample found" in proof.report


def test_a_state_correspondence_that_is_off_by_a_factor_fails() -> None:
    b = symbols("b")
    pytorch = WrittenUpdate("PyTorch momentum", ((b, mu * b + g), (w, w - eta * b)), initial={b: 0})
    claim = Equivalence("velocity_is_buffer", "v = b (false: v = −ηb).", SpecUpdate("SGD", {"momentum": True}), pytorch)
    claim = dataclasses.replace(claim, state_map={symbols("v"): b})
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "residual of v ↔ b" in proof.report


def test_a_missing_invariance_condition_fails() -> None:
    claim = ScaleInvariance(
        "adagrad_eps_only", "Adagrad with ε = 0 alone (false).", SpecUpdate("Adagrad"), {epsilon: 0}
    )
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "A_0" in proof.report  # the residual depends on the initial accumulator


def test_a_superfluous_invariance_condition_is_not_shown_necessary() -> None:
    conditions = {epsilon: 0, A0: 0, eta: 1}
    claim = ScaleInvariance("adagrad_eta_one", "η = 1 is not needed.", SpecUpdate("Adagrad"), conditions)
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "eta → 1 is not shown necessary" in proof.report


def test_a_for_all_counterexample_must_hold_on_the_whole_domain() -> None:
    # Adagrad from a zero accumulator is invariant at ε = 0, which is in ε's domain: "for every ε" is false.
    claim = ScaleInvariance(
        "adagrad_never_invariant", "Not invariant for any ε ≥ 0 (false at ε = 0).", ADAGRAD_FROM_ZERO, holds=False
    )
    assert prove(claim, REGISTRY).proved  # one ε > 0 is a counterexample
    proof = prove(dataclasses.replace(claim, for_all=(epsilon,)), REGISTRY)
    assert not proof.proved


def test_a_radical_rule_forced_where_it_does_not_hold_is_caught() -> None:
    # sqrt(a·b) = sqrt(a)·sqrt(b) is false for a, b < 0 (here a = β2 − 1, b = β2 − 2); simplification forces it.
    a, b = beta_2 - 1, beta_2 - 2
    forced = eta * (sqrt(a * b) - sqrt(a) * sqrt(b))
    assert simplify_residual(forced) == 0
    right = WrittenUpdate(
        "gradient descent plus a term that is not zero",
        assignments=((w, w - eta * g - forced),),
        domains={beta_2: Interval.Ropen(0, 1)},
    )
    proof = prove(Equivalence("forced", "Forced radicals (false).", SpecUpdate("SGD"), right), REGISTRY)
    assert not proof.proved
    assert "radical rule that does not hold here" in proof.report


def test_an_unbiased_claim_with_the_wrong_value_fails() -> None:
    claim = Unbiased("m_hat_twice", "m̂ = 2g (false).", SpecUpdate("Adam"), m, 1 - beta_1**t, 2 * g)
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "rsolve gives m_n" in proof.report and "= -g" in proof.report


def test_an_unbiased_claim_must_use_the_correction_the_update_applies() -> None:
    claim = Unbiased("m_hat_shifted", "Another correction.", SpecUpdate("Adam"), m, 1 - beta_1 ** (t + 1), g)
    proof = prove(claim, REGISTRY)
    assert not proof.proved
    assert "never uses the correction" in proof.report


@pytest.mark.parametrize(
    ("relation", "message"),
    [
        (dataclasses.replace(MOMENTUM_ZERO, left=SpecUpdate("Momentum")), "no spec named 'Momentum'"),
        (dataclasses.replace(MOMENTUM_ZERO, left=SpecUpdate("SGD", {"nesterow": True})), "no option 'nesterow'"),
        (dataclasses.replace(MOMENTUM_ZERO, left=SpecUpdate("SGD", substitution={rho: 0})), "changes nothing"),
        (dataclasses.replace(MOMENTUM_ZERO, right=WrittenUpdate("x", ((w, w - eta * g * rho),))), "rho has no domain"),
        (dataclasses.replace(MOMENTUM_ZERO, state_map={A: w}), "A is not a state"),
        (dataclasses.replace(MOMENTUM_ZERO, name="Momentum Zero"), "snake_case"),
    ],
)
def test_a_bad_declaration_names_the_file_and_the_relation(relation, message: str) -> None:
    relation = dataclasses.replace(relation, source="specs/optimizers/sgd.py")
    with pytest.raises(SpecError, match=message) as raised:
        check_relation(relation, REGISTRY)
    assert str(raised.value).startswith(f"specs/optimizers/sgd.py: relation {relation.name!r}")


def test_two_relations_with_one_name_stop_the_build() -> None:
    sgd = REGISTRY.get("SGD")
    elsewhere = dataclasses.replace(MOMENTUM_ZERO, source="specs/optimizers/adam.py")
    twice = dataclasses.replace(REGISTRY, relations=(dataclasses.replace(MOMENTUM_ZERO, source=sgd.source), elsewhere))
    with pytest.raises(SpecError, match="already used"):
        validate(sgd, twice)


def test_numeric_confirmation_rejects_a_false_equivalence() -> None:
    confirmation = numeric(RHO_ONE_IS_ADAGRAD)
    assert not confirmation.confirmed
    assert "generated kernel rmsprop" in confirmation.report


def test_numeric_confirmation_rejects_a_true_equivalence_declared_false() -> None:
    confirmation = numeric(dataclasses.replace(MOMENTUM_ZERO, holds=False))
    assert not confirmation.confirmed


def test_a_relation_that_does_not_hold_still_checks_each_kernel_against_its_own_side(monkeypatch) -> None:
    """RMSprop with ρ = 1 is not Adagrad, and the numbers show it: but a broken RMSprop kernel differs from Adagrad
    too. The confirmation also runs each kernel's side in SymPy, so the broken kernel is not confirmed."""
    assert numeric(dataclasses.replace(RHO_ONE_IS_ADAGRAD, holds=False)).confirmed
    run_kernel = optimizer_proofs._run_kernel

    def broken(update, *arguments):  # the kernel's parameter off by 1% of its step, every step
        steps = run_kernel(update, *arguments)
        start = steps[0][w]
        return [{**snapshot, w: start + 1.01 * (snapshot[w] - start)} for snapshot in steps]

    monkeypatch.setattr(optimizer_proofs, "_run_kernel", broken)
    confirmation = numeric(dataclasses.replace(RHO_ONE_IS_ADAGRAD, holds=False))
    assert not confirmation.confirmed
    assert "each kernel against its own side at 50 digits" in confirmation.report


def test_numeric_confirmation_rejects_a_wrong_unbiased_value() -> None:
    claim = Unbiased("m_hat_twice", "m̂ = 2g (false).", SpecUpdate("Adam"), m, 1 - beta_1**t, 2 * g)
    assert not numeric(claim).confirmed


def test_numeric_confirmation_rejects_a_missing_invariance_condition() -> None:
    claim = ScaleInvariance(
        "adagrad_eps_only", "Adagrad with ε = 0 alone (false).", SpecUpdate("Adagrad"), {epsilon: 0}
    )
    assert not numeric(claim).confirmed


def test_a_substitution_that_is_not_a_hyperparameter_value_has_no_kernel() -> None:
    coefficients = SpecUpdate("RMSprop", substitution={rho * v: v, (1 - rho) * g**2: g**2})
    assert resolve(coefficients, REGISTRY).kernel is None
    assert resolve(SpecUpdate("RMSprop", substitution={rho: 1}), REGISTRY).kernel.variant == "rmsprop"


def test_a_value_nothing_reads_after_the_substitution_is_not_evaluated() -> None:
    ratio, w_norm, r_norm = symbols("ratio w_norm r_norm")
    whole = [lhs for lhs, _ in resolve(SpecUpdate("Lamb"), REGISTRY).assignments]
    assert {ratio, w_norm, r_norm} <= set(whole)
    fixed = [lhs for lhs, _ in resolve(SpecUpdate("Lamb", substitution={ratio: 1}), REGISTRY).assignments]
    assert fixed == [s for s in whole if s not in {ratio, w_norm, r_norm}]


def test_a_proof_longer_than_the_numeric_run_is_confirmed_over_its_steps() -> None:
    """RAdam's sixth step is its first rectified one at β2 = 0.999: five numeric steps could not see it."""
    relation = find(REGISTRY, "torch_radam_after_the_threshold_is_not_sgd")
    assert relation.steps == 6
    confirmation = numeric(relation)
    assert confirmation.confirmed, confirmation.report
    assert "w - w_0, step 6" in confirmation.report


def test_split_epsilon_symbol_needs_a_domain() -> None:
    Eg, epsilon_g = symbols("E_g epsilon_g")
    side = SpecUpdate("Adadelta", substitution={Eg + epsilon: Eg + epsilon_g})
    claim = ScaleInvariance("split", "Split ε.", side, {epsilon_g: 0}, source="specs/x.py")
    with pytest.raises(SpecError, match="epsilon_g has no domain"):
        check_relation(claim, REGISTRY)
    with_domain = dataclasses.replace(side, domains={epsilon_g: Interval(0, oo)})
    check_relation(dataclasses.replace(claim, update=with_domain), REGISTRY)


def test_one_check_module_per_spec_file_with_relations() -> None:
    modules = check_modules(REGISTRY)
    declared = {r.source for r in optimizer_relations(REGISTRY)}
    assert {m.source for m in modules} == declared
    for module in modules:
        names = [r.name for r in optimizer_relations(REGISTRY) if r.source == module.source]
        assert [relation.name for relation in module.model.relations] == names
    assert modules == check_modules(REGISTRY)
