import Foundation
import SwiftASN1
import X509

/// The `--host` names of an orchestrator certificate: DNS names and IP addresses, as
/// subject alternative names that TLS clients match against the address they dialled.
enum HostName {
    /// The SAN for `host`: an `iPAddress` for IPv4/IPv6 text, else a `dNSName`.
    ///
    /// - Throws: ``PKIError/Code-swift.struct/invalidHost`` for text that is neither.
    static func alternativeName(for host: String) throws -> GeneralName {
        if let bytes = ipAddressBytes(host) {
            return .ipAddress(ASN1OctetString(contentBytes: bytes[...]))
        }
        guard isDNSName(host) else {
            throw PKIError(
                code: .invalidHost,
                message: "invalid host '\(host)': expected an IPv4/IPv6 address or a DNS name (letters, digits, '-', dots)")
        }
        return .dnsName(host.lowercased())
    }

    /// The 4 or 16 network-order bytes of an IP address, or nil.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Text for the bytes of an `iPAddress` SAN (hex if neither 4 nor 16 bytes).
    static func text(forIPAddress bytes: [UInt8]) -> String {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return bytes.map { String(format: "%02x", $0) }.joined()
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return bytes.map { String(format: "%02x", $0) }.joined() }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens,
    /// 1–63 characters each, 253 in all. No wildcards.
    static func isDNSName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }
        }
    }

    /// How a SAN reads in `cohort certs show`: `DNS:localhost`, `IP:127.0.0.1`, `URI:cohort://site/a`.
    static func display(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let dns): return "DNS:\(dns)"
        case .ipAddress(let octets): return "IP:\(text(forIPAddress: Array(octets.bytes)))"
        case .uniformResourceIdentifier(let uri): return "URI:\(uri)"
        case .rfc822Name(let email): return "email:\(email)"
        default: return String(describing: name)
        }
    }
}
