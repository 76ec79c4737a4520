import CohortData

/// The transport seam between the round engine and one site.
///
/// The in-memory transport of `cohort simulate` (`InMemorySite`) and the gRPC transport of
/// a real federation implement it; the engine runs the same code for both.
public protocol SiteConnection: Sendable {
    /// The site's identity (the name in its certificate, in a real federation).
    var name: String { get }
    /// Sufficient statistics of the site's training rows under `schema`, for the shared
    /// preprocessing (counts, sums, sums of squares, level counts): exact when `noise` is
    /// nil, else the Gaussian mechanism's release (`FeatureAggregates.noisedRelease`),
    /// charged to the site's ledger before it leaves. A real site decides this from the
    /// run's plan, whose hash it checks, not from what the orchestrator passes here.
    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates
    /// Trains from the task's global model and returns the (clipped, noised) delta.
    func train(_ task: TrainingTask) async throws -> SiteUpdate
    /// Scores the global model on the site's holdout.
    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation
}
