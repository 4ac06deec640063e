import Hummingbird
import NIOCore

/// The dashboard the admin server shows at `/`: one page, its stylesheet and its script, plain
/// HTML/CSS/JavaScript compiled into the binary (`Dashboard/`, embedded by Package.swift), so it
/// needs no files and no network at run time. The script reads and changes everything through the
/// REST API under `/api/v1/mock_server/`, with the token when the server has one (the page asks
/// for it, or takes it from `#token=…`).
///
/// The files hold no data, so the server sends them without the token (the `Host` rule still
/// applies). The page puts trace and statement text in with `textContent` only, and its
/// Content-Security-Policy allows scripts and styles from this server alone: no inline script, no
/// `eval`, nothing from elsewhere.
package enum Dashboard {
    struct Asset {
        let contentType: String
        let body: ByteBuffer
    }

    static let page = Asset(contentType: "text/html; charset=utf-8", body: ByteBuffer(bytes: PackageResources.index_html))
    static let stylesheet = Asset(contentType: "text/css; charset=utf-8", body: ByteBuffer(bytes: PackageResources.dashboard_css))
    static let script = Asset(contentType: "text/javascript; charset=utf-8",
                              body: ByteBuffer(bytes: PackageResources.dashboard_js))

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The dashboard file at the request's path, or `nil` when the path is not one of them.
    package static func response(_ request: Request) -> Response? {
        let asset: Asset
        switch request.uri.path {
        case "/", "/index.html": asset = page
        case "/dashboard.css": asset = stylesheet
        case "/dashboard.js": asset = script
        default: return nil
        }
        guard request.method == .get || request.method == .head else { return AdminResponder.notAllowed("GET") }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .contentSecurityPolicy: contentSecurityPolicy,
                .xContentTypeOptions: "nosniff", .cacheControl: "no-cache",
            ],
            body: .init(byteBuffer: asset.body))
    }
}
