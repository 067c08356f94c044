import BrowserAccess
import Foundation

/// The console's page frame and stylesheet (compiled in: no CDN, works offline).
enum ConsolePage {
    static func render(title: String, context: ConsoleRequestContext, path: String, body: String) -> String {
        let t = context.language
        let e = HTMLText.escape
        var nav = ""
        if let account = context.account, let session = context.session {
            var items: [(String, String)] = [
                ("/devices", t("Devices")), ("/models", t("Models")), ("/figures", t("Figures")), ("/shadow-runs", t("Shadow runs")), ("/enrolment", t("Enrolment")), ("/regulator", t("Regulator report")), ("/audit", t("Audit")),
            ]
            if account.role.managesOperators { items.append(("/operators", t("Operators"))) }
            nav = items.map { href, label in
                "<a href=\"\(href)\"\(path.hasPrefix(href) ? " class=\"here\"" : "") id=\"nav-\(href.dropFirst())\">\(e(label))</a>"
            }.joined()
            nav += """
                <span class="who" id="who">\(e(account.name)) · \(e(t(account.role.rawValue)))</span>\
                <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="\(e(session.csrfToken))">\
                <button type="submit" id="logout">\(e(t("Log out")))</button></form>
                """
        }
        let back = HTMLText.percentEncode(path)
        let switcher = InterfaceLanguage.allCases.map { other in
            other == context.language
                ? "<b>\(other.rawValue.uppercased())</b>"
                : "<a href=\"/lang/\(other.rawValue)?back=\(back)\" id=\"lang-\(other.rawValue)\">\(other.rawValue.uppercased())</a>"
        }.joined(separator: " | ")
        return """
            <!doctype html>
            <html lang="\(context.language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title)) — Fluorobox hub</title>
            <link rel="stylesheet" href="/assets/console.css">
            </head><body>
            <header><span class="brand">Fluorobox hub</span><nav>\(nav)</nav><span class="lang">\(switcher)</span></header>
            <main><h1>\(e(title))</h1>
            \(body)
            </main>
            </body></html>
            """
    }

    static func csrfField(_ context: ConsoleRequestContext) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(HTMLText.escape(context.session?.csrfToken ?? ""))\">"
    }

    /// One formatter per page: 2,000 rows must not make 2,000 formatters. UTC, whatever the locale.
    static func dateFormatter(_ format: String = "yyyy-MM-dd HH:mm 'UTC'") -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    static let css = """
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.4 system-ui, sans-serif; color: #1b1f24; background: #f4f6f8; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; padding: 8px 16px; background: #1f3b2d; color: #fff; }
        header a, header button { color: #fff; }
        .brand { font-weight: 700; font-size: 18px; margin-right: 12px; }
        nav { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; flex: 1; }
        nav a { padding: 8px 12px; border-radius: 6px; text-decoration: none; }
        nav a.here { background: #356b50; }
        .who { opacity: .85; margin-left: auto; }
        .lang a { color: #cfeedd; }
        main { padding: 16px; margin: 0 auto; max-width: 1600px; }
        h1 { font-size: 24px; margin: 4px 0 14px; }
        h2 { font-size: 19px; margin: 0 0 10px; }
        section { background: #fff; border-radius: 8px; padding: 12px 14px; margin-bottom: 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { text-align: left; padding: 6px 5px; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
        th { position: sticky; top: 0; background: #fff; }
        tr.attention td:first-child { border-left: 4px solid #b42318; }
        .reason { display: inline-block; margin: 1px 0; padding: 1px 8px; border-radius: 10px; background: #fde2e1; color: #8a1c14; font-weight: 600; white-space: nowrap; }
        .ok { color: #1e6b32; } .na { color: #6b7280; font-style: italic; } .revoked { color: #6b7280; }
        .error { background: #fde2e1; color: #9b1c1c; padding: 10px; border-radius: 6px; }
        .notice { background: #e2f5e6; color: #1e6b32; padding: 10px; border-radius: 6px; }
        code.secret { display: block; font-size: 18px; padding: 10px; background: #fff7d6; border: 1px dashed #b7791f; overflow-wrap: anywhere; }
        button, .button { font-size: 15px; padding: 7px 14px; border-radius: 6px; border: 0; background: #356b50; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
        button.danger { background: #b42318; }
        form.inline { display: inline; }
        header form button { background: transparent; border: 1px solid #9fd3b8; padding: 5px 10px; }
        input, select { font-size: 15px; padding: 6px; border: 1px solid #b8c2cc; border-radius: 6px; }
        label { display: block; margin: 8px 0 3px; font-weight: 600; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; }
        .figure { font-size: 22px; font-weight: 700; }
        .demo { color: #7a4b00; } tr.demo td, td.demo, th.demo { background: #fff4dc; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #fde7b0; font-size: 12px; font-weight: 600; }
        form.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
        form.filters label { margin-top: 0; }
        tr.subtotal th { background: #eef3f0; }
        svg.chart { display: block; max-width: 100%; height: auto; margin: 10px 0; background: #fff; }
        .charts { display: flex; flex-wrap: wrap; gap: 14px; }
        h3 { font-size: 16px; margin: 14px 0 4px; }
        tr.thin td { color: #6b7280; } .badge.thin { background: #e5e7eb; color: #374151; }
        """
}
