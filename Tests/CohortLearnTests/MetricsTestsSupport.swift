@testable import CohortLearn

/// SplitMix64 (Steele, Lea & Flood 2014): a seeded generator for the metrics tests, kept
/// here so the tests depend on nothing but the code under test.
struct MetricsTestGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random scores with many ties (each a multiple of 1/levels) and labels whose positives
/// score higher on average, so AUROC is neither 0.5 nor 1.
func tiedRandomData(count: Int, levels: Int, seed: UInt64) -> (scores: [Double], labels: [Int]) {
    var generator = MetricsTestGenerator(seed: seed)
    var scores: [Double] = []
    var labels: [Int] = []
    for _ in 0..<count {
        let label = Int.random(in: 0...1, using: &generator)
        let shift = label == 1 ? max(1, levels / 3) : 0
        let level = min(Int.random(in: 0...levels, using: &generator) + shift, levels)
        scores.append(Double(level) / Double(levels))
        labels.append(label)
    }
    return (scores, labels)
}

/// AUROC by definition: over all positive–negative pairs, 1 when the positive scores
/// higher, 1/2 on a tie. O(n²), sharing no code with the library.
func bruteForceAUROC(scores: [Double], labels: [Int]) -> Double {
    var wins = 0.0
    var pairs = 0
    for (sp, lp) in zip(scores, labels) where lp == 1 {
        for (sn, ln) in zip(scores, labels) where ln == 0 {
            pairs += 1
            if sp > sn { wins += 1 } else if sp == sn { wins += 0.5 }
        }
    }
    return wins / Double(pairs)
}

/// Average precision by definition: for each distinct score t, descending, the precision
/// and recall of `score >= t` by a full scan, summed as Σ (R_k − R_{k−1}) · P_k. O(n·d).
func bruteForceAveragePrecision(scores: [Double], labels: [Int]) -> Double {
    let positives = labels.filter { $0 == 1 }.count
    var previousRecall = 0.0
    var sum = 0.0
    for t in Set(scores).sorted(by: >) {
        var tp = 0, predicted = 0
        for (s, l) in zip(scores, labels) where s >= t {
            predicted += 1
            tp += l
        }
        let recall = Double(tp) / Double(positives)
        sum += (recall - previousRecall) * Double(tp) / Double(predicted)
        previousRecall = recall
    }
    return sum
}

/// Whether `metric` is a value within `tolerance` of `expected`.
func isValue(_ metric: MetricValue, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
    guard let x = metric.doubleValue else { return false }
    return abs(x - expected) <= tolerance
}
