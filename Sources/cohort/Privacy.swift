import ArgumentParser
import CohortPrivacy
import Foundation

/// `cohort privacy`: what ε for these settings, and what σ for this ε.
struct Privacy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer privacy questions with the RDP accountant (Poisson-subsampled Gaussian).",
        discussion: """
            ε is for add-or-remove-one neighbours: one patient record (DP-SGD) or one site
            (DP-FedAvg), depending on what q and the steps count. RDP per order from
            Mironov, Talwar and Zhang (2019), converted with Canonne, Kamath and Steinke (2020).
            """,
        subcommands: [Epsilon.self, Sigma.self])

    struct Settings: ParsableArguments {
        @Option(help: "Sampling rate q in (0, 1] (batch / records, or sampled sites / sites).") var q: Double
        @Option(help: "Number of steps (local steps, or rounds).") var steps: Int
        @Option(help: "δ in (0, 1).") var delta: Double
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard q > 0 && q <= 1 else { throw ValidationError("--q must be in (0, 1], got \(q)") }
            guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
            guard delta > 0 && delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
        }
    }

    struct Epsilon: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "ε after --steps steps with sampling rate --q and noise multiplier --sigma.")
        @Option(help: "Noise multiplier σ (noise std / clip bound).") var sigma: Double
        @OptionGroup var settings: Settings

        func validate() throws {
            guard sigma > 0 && sigma.isFinite else { throw ValidationError("--sigma must be positive, got \(sigma)") }
        }

        func run() throws {
            let mechanism = try SubsampledGaussian(samplingRate: settings.q, noiseMultiplier: sigma)
            let guarantee = RDPAccountant().epsilon(of: mechanism, steps: settings.steps, delta: settings.delta)
            if settings.json {
                printJSON(["epsilon": guarantee.epsilon, "order": guarantee.order])
            } else {
                print(String(format: "ε = %.6g at δ = %g (best RDP order α = %g); q = %g, σ = %g, %d steps",
                             guarantee.epsilon, settings.delta, guarantee.order, settings.q, sigma, settings.steps))
            }
        }
    }

    struct Sigma: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The smallest σ whose ε after --steps steps is at most --epsilon.")
        @Option(help: "Target ε.") var epsilon: Double
        @OptionGroup var settings: Settings

        func validate() throws {
            guard epsilon > 0 && epsilon.isFinite else { throw ValidationError("--epsilon must be positive, got \(epsilon)") }
        }

        func run() throws {
            let budget = try PrivacyBudget(epsilon: epsilon, delta: settings.delta)
            let mechanism = try RDPAccountant().calibrate(samplingRate: settings.q, steps: settings.steps, budget: budget)
            let achieved = RDPAccountant().epsilon(of: mechanism, steps: settings.steps, delta: settings.delta)
            if settings.json {
                printJSON(["sigma": mechanism.noiseMultiplier])
            } else {
                print(String(format: "σ = %.6g gives ε = %.6g ≤ %g at δ = %g; q = %g, %d steps",
                             mechanism.noiseMultiplier, achieved.epsilon, epsilon, settings.delta, settings.q, settings.steps))
            }
        }
    }
}

func printJSON(_ object: [String: Double]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}
