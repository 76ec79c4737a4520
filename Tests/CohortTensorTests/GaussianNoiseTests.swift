@testable import CohortTensor
import Foundation
import Testing

@Suite("Gaussian noise (Ziggurat over AES-CTR or xoshiro)")
struct GaussianNoiseTests {
    /// Φ(x), the standard normal CDF.
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// The Kolmogorov–Smirnov statistic of `sample` against N(0, 1).
    static func ksStatistic(_ sample: [Double]) -> Double {
        let sorted = sample.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            let f = phi(x)
            d = max(d, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
        }
        return d
    }

    @Test("standard normals pass moment, tail and Kolmogorov–Smirnov checks", arguments: [false, true])
    func distribution(secure: Bool) throws {
        let noise = secure ? try GaussianNoise.secure() : GaussianNoise.seeded(2024)
        #expect(noise.isSecure == secure)
        let n = 400_000
        let x = noise.standardNormals(count: n)
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let kurtosis = x.reduce(0.0) { $0 + pow(($1 - mean), 4) } / Double(n) / (variance * variance)
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 0.01)
        #expect(abs(kurtosis - 3) < 0.05)
        // Tail masses, including beyond the Ziggurat's tail start r ≈ 3.654.
        for threshold in [1.0, 2.0, 3.0, 3.654, 4.0] {
            let expected = 2 * (1 - Self.phi(threshold))
            let observed = Double(x.lazy.filter { abs($0) > threshold }.count) / Double(n)
            let standardError = (expected * (1 - expected) / Double(n)).squareRoot()
            #expect(abs(observed - expected) < 5 * standardError + 1e-6, "P(|Z| > \(threshold))")
        }
        // KS critical value at α = 0.001 is 1.95/√n.
        #expect(Self.ksStatistic(Array(x.prefix(100_000))) < 1.95 / 100_000.0.squareRoot())
    }

    @Test("the KS check rejects a wrong distribution (so it can fail)")
    func ksCanFail() {
        var generator = SeededGenerator(seed: 1)
        let uniform = (0..<100_000).map { _ in Double.random(in: -1.7..<1.7, using: &generator) }
        #expect(Self.ksStatistic(uniform) > 1.95 / 100_000.0.squareRoot())
    }

    @Test("seeded streams repeat; secure streams do not; copies share one stream")
    func streams() throws {
        #expect(GaussianNoise.seeded(5).standardNormals(count: 10) == GaussianNoise.seeded(5).standardNormals(count: 10))
        #expect(try GaussianNoise.secure().standardNormals(count: 10) != (try GaussianNoise.secure().standardNormals(count: 10)))
        let shared = try GaussianNoise.secure()
        let alias = shared
        #expect(shared.standardNormals(count: 4) != alias.standardNormals(count: 4))
    }

    @Test("the AVX-512 and the portable code draw identical noise from the same stream",
          arguments: [1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 6274, 100_003])
    func vectorAndPortableAgree(count: Int) {
        var fast = Tensor<Float>(shape: [count], repeating: 0.25)
        var portable = fast
        let vector = GaussianNoise.seeded(77), scalar = GaussianNoise.seeded(77, portableOnly: true)
        // Twice, so the second call starts mid-buffer and crosses a refill.
        for _ in 0..<2 {
            vector.addNoise(to: &fast, standardDeviation: 1.5)
            scalar.addNoise(to: &portable, standardDeviation: 1.5)
        }
        #expect(fast == portable)
        #expect(fast != Tensor<Float>(shape: [count], repeating: 0.25))
        #expect(vector.randomWords(count: 3) == scalar.randomWords(count: 3), "both consumed the same words")
    }

    /// FIPS-197 Appendix C.1: AES-128 with key 00 01 … 0f encrypts 00 11 22 … ff to
    /// 69 c4 e0 d8 6a 7b 04 30 d8 cd b7 80 70 b4 c5 5a. As a CTR counter block (two
    /// little-endian words, low first) that plaintext is (0x7766554433221100,
    /// 0xffeeddccbbaa9988), and the ciphertext reads back as the two words below.
    @Test("the AES-CTR keystream matches the FIPS-197 known answer", arguments: [false, true])
    func aesKnownAnswer(wide: Bool) throws {
        let key = (0..<16).map(UInt8.init)
        guard let stream = GaussianNoise.keyed(key: key, counter: (0x7766_5544_3322_1100, 0xffee_ddcc_bbaa_9988), wide: wide) else {
            return  // no AES-NI (or no VAES): the secure stream then reads getrandom directly
        }
        #expect(stream.randomWords(count: 2) == [0x3004_7b6a_d8e0_c469, 0x5ac5_b470_80b7_cdd8])
    }

    @Test("the VAES and the AES-NI refills give the same keystream, across a carry out of the counter's low word")
    func wideAndNarrowAESAgree() throws {
        let key: [UInt8] = [0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c]
        guard let wide = GaussianNoise.keyed(key: key, counter: (UInt64.max - 300, 7), wide: true),
              let narrow = GaussianNoise.keyed(key: key, counter: (UInt64.max - 300, 7), wide: false) else { return }
        #expect(wide.randomWords(count: 5_000) == narrow.randomWords(count: 5_000))
        var a = Tensor<Float>.zeros([10_000]), b = a
        wide.addNoise(to: &a, standardDeviation: 1)
        narrow.addNoise(to: &b, standardDeviation: 1)
        #expect(a == b)
    }

    @Test("addNoise draws pass the moment and tail checks too (the float32 fast path)")
    func addNoiseDistribution() {
        var tensor = Tensor<Float>.zeros([400_000])
        GaussianNoise.seeded(31).addNoise(to: &tensor, standardDeviation: 1)
        let x = tensor.scalars.map(Double.init)
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let variance = x.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / n
        #expect(abs(mean) < 5 / n.squareRoot())
        #expect(abs(variance - 1) < 0.01)
        for threshold in [1.0, 2.0, 3.0, 3.654, 4.0] {
            let expected = 2 * (1 - Self.phi(threshold))
            let observed = Double(x.lazy.filter { abs($0) > threshold }.count) / n
            #expect(abs(observed - expected) < 5 * (expected * (1 - expected) / n).squareRoot() + 1e-6, "P(|Z| > \(threshold))")
        }
        #expect(Self.ksStatistic(Array(x.prefix(100_000))) < 1.95 / 100_000.0.squareRoot())
    }

    @Test("addNoise adds N(0, σ²) to each element")
    func addNoise() {
        var tensor = Tensor<Float>(shape: [200_000], repeating: 3)
        GaussianNoise.seeded(9).addNoise(to: &tensor, standardDeviation: 0.5)
        let values = tensor.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        #expect(abs(mean - 3) < 0.005)
        #expect(abs(std - 0.5) < 0.005)
    }

    @Test("secure random words look uniform (bit balance)")
    func bitBalance() throws {
        let words = try GaussianNoise.secure().randomWords(count: 100_000)
        let ones = words.reduce(0) { $0 + $1.nonzeroBitCount }
        let fraction = Double(ones) / Double(words.count * 64)
        #expect(abs(fraction - 0.5) < 0.001)
        #expect(Set(words).count == words.count)
    }
}
