import Chapter1WAL
import NIOCore
import NIOPosix

/// `GET /metrics` over HTTP: the server's metrics for a Prometheus server
/// to scrape, the same text STATS returns.
///
/// Just enough HTTP/1.1 for a scraper: read the request head (up to
/// 8 KiB, or the connection is refused with 431), answer `GET /metrics`
/// with 200 and the text, any other path with 404 and any other method
/// with 405, then close. It runs on the server's event loops; the text is
/// built from the registry and a counter, with no engine call.
final class MetricsHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer
  static let maximumHead = 8 << 10
  private let text: @Sendable () -> String
  private var head = Bytes()
  private var answered = false

  init(text: @escaping @Sendable () -> String) { self.text = text }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard !answered else { return }
    var buffer = unwrapInboundIn(data)
    head += buffer.readBytes(length: buffer.readableBytes) ?? []
    if let end = MetricsHandler.endOfHead(head) {
      let requestLine = head[..<(head.firstIndex(of: 0x0d) ?? end)].split(separator: 0x20).map {
        String(decoding: $0, as: UTF8.self)
      }
      let (status, body): (String, String)
      switch (requestLine.first, requestLine.dropFirst().first) {
      case ("GET", "/metrics"): (status, body) = ("200 OK", text())
      case ("GET", _): (status, body) = ("404 Not Found", "not found: the metrics are at /metrics\n")
      default: (status, body) = ("405 Method Not Allowed", "only GET /metrics\n")
      }
      respond(context: context, status: status, body: body)
    } else if head.count > MetricsHandler.maximumHead {
      respond(context: context, status: "431 Request Header Fields Too Large", body: "the request head is too large\n")
    }
  }

  /// Where the head ends (after its blank line), if it has.
  static func endOfHead(_ bytes: Bytes) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for index in 0...(bytes.count - 4)
    where bytes[index] == 0x0d && bytes[index + 1] == 0x0a && bytes[index + 2] == 0x0d && bytes[index + 3] == 0x0a {
      return index + 4
    }
    return nil
  }

  private func respond(context: ChannelHandlerContext, status: String, body: String) {
    answered = true
    let bodyBytes = Bytes(body.utf8)
    let response =
      "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
      + "Content-Length: \(bodyBytes.count)\r\nConnection: close\r\n\r\n"
    var buffer = context.channel.allocator.buffer(capacity: response.utf8.count + bodyBytes.count)
    buffer.writeString(response)
    buffer.writeBytes(bodyBytes)
    context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
      context.close(promise: nil)
    }
  }
}
