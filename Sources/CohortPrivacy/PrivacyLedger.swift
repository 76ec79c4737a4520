/// The record of privacy spent by one party — a site's records (`.record`) or the
/// federation's sites (`.site`) — as a sequence of charges, with the total RDP they imply.
///
/// Heterogeneous charges (different q, σ, steps per round) compose by adding their RDP
/// order by order (Mironov, "Rényi Differential Privacy", CSF 2017, Proposition 1); the
/// total converts to (ε, δ) at any δ (`RDPCurve.epsilon(delta:)`).
///
/// Charging is idempotent by charge id, so a restarted run that replays a round does not
/// pay for it twice; and `charge(_:within:)` / `canCharge(_:within:)` refuse a charge
/// before it would take ε past a budget, so a run can stop in time.
///
/// A value type: a run keeps its ledger in its own state (an actor or a `Mutex`) and
/// persists it as JSON (`PrivacyLedger+Codable.swift`).
public struct PrivacyLedger: Sendable {
    /// What the ledger's guarantee protects.
    public let unit: PrivacyUnit
    /// The site whose records are accounted, for `.record` ledgers (used in statements).
    public let site: String?
    /// The accountant, which fixes the RDP orders.
    public let accountant: RDPAccountant
    /// Every charge recorded, in order.
    public private(set) var charges: [PrivacyCharge] = []

    /// Distinct mechanisms in order of first use, their per-step RDP curves and total steps:
    /// the total is Σ steps × curve, computed the same way however the ledger was built.
    private var mechanisms: [SubsampledGaussian] = []
    private var perStep: [RDPCurve] = []
    private var stepCounts: [Int] = []
    private var positionByID: [String: Int] = [:]
    /// The RDP of all charges together.
    public private(set) var rdp: RDPCurve

    /// An empty ledger.
    public init(unit: PrivacyUnit, site: String? = nil, accountant: RDPAccountant = RDPAccountant()) {
        self.unit = unit
        self.site = site
        self.accountant = accountant
        self.rdp = accountant.zero
    }

    /// Whether a charge with this id has been recorded.
    public func contains(chargeID id: String) -> Bool {
        positionByID[id] != nil
    }

    /// The recorded charge with this id, if any.
    public func recordedCharge(id: String) -> PrivacyCharge? {
        positionByID[id].map { charges[$0] }
    }

    /// The guarantee after all charges so far, at `delta` ∈ (0, 1).
    public func epsilon(delta: Double) -> PrivacyGuarantee {
        rdp.epsilon(delta: delta)
    }

    /// The guarantee there would be after also recording `charge` (unchanged if its id is
    /// already recorded), at `delta` ∈ (0, 1).
    public func epsilon(afterCharging charge: PrivacyCharge, delta: Double) -> PrivacyGuarantee {
        if contains(chargeID: charge.id) { return epsilon(delta: delta) }
        return projected(charge).epsilon(delta: delta)
    }

    /// Whether recording `charge` keeps ε within `budget` — ask before running the steps.
    ///
    /// A charge whose id is already recorded costs nothing, so for it this says whether the
    /// ledger is within budget now; a charge that conflicts with a recorded one (same id,
    /// other parameters) cannot be recorded, so for it this is `false`.
    public func canCharge(_ charge: PrivacyCharge, within budget: PrivacyBudget) -> Bool {
        if let recorded = recordedCharge(id: charge.id) {
            return recorded.charges(sameAs: charge) && epsilon(delta: budget.delta).isWithin(budget)
        }
        return projected(charge).epsilon(delta: budget.delta).isWithin(budget)
    }

    /// Records `charge` whatever the budget (accounting for steps already run).
    ///
    /// - Returns: `true` if recorded, `false` if the same charge was already recorded under
    ///   this id (nothing changes: it is never counted twice).
    /// - Throws: `PrivacyError.Code.conflictingCharge` if the id is recorded with another
    ///   mechanism or number of steps.
    @discardableResult
    public mutating func charge(_ charge: PrivacyCharge) throws(PrivacyError) -> Bool {
        if try isAlreadyRecorded(charge) { return false }
        record(charge, perStepCurve: curve(for: charge.mechanism))
        return true
    }

    /// Records `charge` only if ε stays within `budget` afterwards.
    ///
    /// - Returns: `true` if recorded, `false` if the same charge was already recorded.
    /// - Throws: `PrivacyError.Code.budgetExceeded` (nothing is recorded) if the charge
    ///   would take ε past the budget; `PrivacyError.Code.conflictingCharge` as `charge(_:)`.
    @discardableResult
    public mutating func charge(_ charge: PrivacyCharge, within budget: PrivacyBudget) throws(PrivacyError) -> Bool {
        if try isAlreadyRecorded(charge) { return false }
        let perStepCurve = curve(for: charge.mechanism)
        let after = total(adding: charge.steps, of: charge.mechanism, perStepCurve: perStepCurve)
            .epsilon(delta: budget.delta)
        guard after.isWithin(budget) else {
            throw PrivacyError(
                .budgetExceeded,
                "charge \"\(charge.label)\" (id \(charge.id)) would raise ε to "
                    + "\(PrivacyGuarantee.format(epsilon: after.epsilon)) at δ = "
                    + "\(PrivacyGuarantee.format(delta: budget.delta)), over the budget \(budget) "
                    + "(now \(PrivacyGuarantee.format(epsilon: epsilon(delta: budget.delta).epsilon)))")
        }
        record(charge, perStepCurve: perStepCurve)
        return true
    }

    /// How many more steps of `mechanism` the ledger can take within `budget`
    /// (`RDPAccountant.affordableSteps(of:within:after:)` on top of this ledger's total).
    public func affordableSteps(of mechanism: SubsampledGaussian, within budget: PrivacyBudget) -> Int {
        do {
            return try accountant.affordableSteps(of: mechanism, within: budget, after: rdp)
        } catch {
            preconditionFailure("a ledger's total uses its accountant's orders: \(error)")
        }
    }

    /// One line saying what the ledger's guarantee covers, at `delta`:
    /// "ε = 2.31, δ = 1e-5, per patient record at site hospital-a" (`PrivacyUnit.describe`).
    public func statement(delta: Double) -> String {
        unit.describe(epsilon(delta: delta), site: site)
    }

    // MARK: - Internals

    /// `true` if the same charge is recorded under its id; throws if a different one is.
    private func isAlreadyRecorded(_ charge: PrivacyCharge) throws(PrivacyError) -> Bool {
        guard let recorded = recordedCharge(id: charge.id) else { return false }
        guard recorded.charges(sameAs: charge) else {
            throw PrivacyError(
                .conflictingCharge,
                "charge id \(charge.id) is already recorded as \(recorded), not \(charge)")
        }
        return true
    }

    /// The per-step curve of `mechanism`, reusing a recorded one.
    private func curve(for mechanism: SubsampledGaussian) -> RDPCurve {
        if let index = mechanisms.firstIndex(of: mechanism) { return perStep[index] }
        return mechanism.rdp(validatedOrders: accountant.orders)
    }

    /// The total after adding `steps` steps of `mechanism` (per-step curve given), summed
    /// exactly as `record` will sum it, so a projection and the recorded total agree to
    /// the last bit.
    private func total(adding steps: Int, of mechanism: SubsampledGaussian, perStepCurve: RDPCurve) -> RDPCurve {
        var counts = stepCounts
        var curves = perStep
        if let index = mechanisms.firstIndex(of: mechanism) {
            counts[index] += steps
        } else {
            counts.append(steps)
            curves.append(perStepCurve)
        }
        var values = [Double](repeating: 0, count: accountant.orders.count)
        for (curve, count) in zip(curves, counts) {
            for index in values.indices { values[index] += Double(count) * curve.values[index] }
        }
        return RDPCurve(validatedOrders: accountant.orders, values: values)
    }

    /// The total there would be after also recording `charge`.
    private func projected(_ charge: PrivacyCharge) -> RDPCurve {
        total(adding: charge.steps, of: charge.mechanism, perStepCurve: curve(for: charge.mechanism))
    }

    /// Appends `charge` and updates the total.
    mutating func record(_ charge: PrivacyCharge, perStepCurve: RDPCurve) {
        rdp = total(adding: charge.steps, of: charge.mechanism, perStepCurve: perStepCurve)
        positionByID[charge.id] = charges.count
        charges.append(charge)
        if let index = mechanisms.firstIndex(of: charge.mechanism) {
            stepCounts[index] += charge.steps
        } else {
            mechanisms.append(charge.mechanism)
            perStep.append(perStepCurve)
            stepCounts.append(charge.steps)
        }
    }
}
