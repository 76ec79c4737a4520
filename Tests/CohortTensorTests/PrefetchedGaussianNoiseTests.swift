@testable import CohortTensor
import Testing

@Suite("Noise drawn ahead on another thread")
struct PrefetchedGaussianNoiseTests {
    /// Tensors of a W3-like layout plus one large enough for two streams.
    static let sizes = [1920, 64, 4096, 64, 128, 2, 40_000]

    static func gradients(_ seed: UInt64) -> [Tensor<Float>] {
        var generator = SeededGenerator(seed: seed)
        return sizes.map { Tensor<Float>.randomNormal([$0], using: &generator) }
    }

    /// Adds `steps` steps of noise to the gradients through a `PrefetchedGaussianNoise` and
    /// checks them, bit for bit, against the same noise drawn directly, and that both leave
    /// the streams at the same place.
    static func expectSameAsDirect(noiseSeed: UInt64, gradientsSeed: UInt64, steps: Int, sigma: Double, scale: Float,
                                   drawsAhead: Bool) throws {
        let direct = try ParallelGaussianNoise(GaussianNoise.seeded(noiseSeed), count: 2)
        var expected = gradients(gradientsSeed)
        for _ in 0..<steps {
            for index in expected.indices {
                direct.addNoise(to: &expected[index], standardDeviation: sigma)
                expected[index].scale(by: scale)
            }
        }
        let through = try ParallelGaussianNoise(GaussianNoise.seeded(noiseSeed), count: 2)
        let prefetched = PrefetchedGaussianNoise(through, sizes: sizes, steps: steps, drawsAhead: drawsAhead)
        var actual = gradients(gradientsSeed)
        for _ in 0..<steps {
            prefetched.withNextStep { step in
                for index in actual.indices {
                    step.addNoise(toPart: index, of: &actual[index], standardDeviation: sigma, thenScaleBy: scale)
                }
            }
        }
        prefetched.stop()
        #expect(actual == expected)
        #expect(actual != gradients(gradientsSeed), "noise was added")
        for (a, b) in zip(through.streams, direct.streams) {
            #expect(a.randomWords(count: 4) == b.randomWords(count: 4), "each stream is where drawing directly left it")
        }
    }

    @Test("prefetched noise is bit for bit the noise drawn directly, and leaves the streams at the same place")
    func sameAsDirect() throws {
        try Self.expectSameAsDirect(noiseSeed: 11, gradientsSeed: 1, steps: 7, sigma: 1.3, scale: 1 / 64, drawsAhead: true)
    }

    @Test("a step the training loop draws itself, straight into the tensors, is bit for bit the noise drawn directly")
    func drawnInTheLoopSameAsDirect() throws {
        // No drawing thread: every step is drawn by the loop.
        try Self.expectSameAsDirect(noiseSeed: 23, gradientsSeed: 2, steps: 5, sigma: 0.7, scale: 1 / 128, drawsAhead: false)
    }

    @Test("the training loop draws a step itself when the drawing thread is behind, and stop is idempotent")
    func stopsCleanly() throws {
        let noise = try ParallelGaussianNoise(GaussianNoise.seeded(3), count: 2)
        let prefetched = PrefetchedGaussianNoise(noise, sizes: [100_000], steps: 50)
        var tensor = Tensor<Float>.zeros([100_000])
        // Back to back, faster than one thread draws: some steps are drawn here.
        for _ in 0..<50 {
            prefetched.withNextStep { $0.addNoise(toPart: 0, of: &tensor, standardDeviation: 1, thenScaleBy: 1) }
        }
        prefetched.stop()
        prefetched.stop()
        let variance = tensor.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(tensor.count)
        #expect(abs(variance - 50) < 1.5, "50 steps of N(0, 1) each")
        // Stopping early ends the thread too.
        let early = PrefetchedGaussianNoise(noise, sizes: [10], steps: 1_000_000)
        early.stop()
    }
}
