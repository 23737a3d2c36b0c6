// Tessera — pseudonymise a CSV file in this browser before it is uploaded.
//
// The keyed encoder of the server (crates/pseudonym) runs here compiled to WebAssembly: the
// identifying columns of the chosen file (names, birth date, identity and phone numbers, parents'
// names) are replaced by one `pseudonyms` column, and only that file is sent. The page works
// without this script; the option appears only when the deployment allows it.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !form.dataset.identifying || !window.WebAssembly || !window.TextEncoder) {
    return;
  }
  var box = document.getElementById("encode-here-box");
  var check = document.getElementById("encode-here");
  var status = document.getElementById("encode-status");
  var input = document.getElementById("file");
  var entity = document.getElementById("entity");
  var identifying = JSON.parse(form.dataset.identifying);
  var msg = form.dataset;
  // The order the encoder takes the fields in (crates/pseudonym-wasm, FIELDS).
  var FIELDS = ["given_name", "family_name", "birth_date", "id_number", "phone", "father_name", "mother_name"];
  var SEP = "\u001f";
  box.hidden = false;

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "notice";
    status.setAttribute("role", isError ? "alert" : "status");
  }

  // The column code of a header: templates write "Label [code]".
  function code(header) {
    var h = header.replace(/^\ufeff/, "").trim();
    var i = h.lastIndexOf("[");
    return i >= 0 && h.charAt(h.length - 1) === "]" ? h.slice(i + 1, -1).trim() : h;
  }

  // CSV as the server reads it: comma, semicolon or tab (whichever the header line uses most),
  // double quotes, CRLF or LF.
  function parse(text) {
    if (text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
    }
    var end = text.indexOf("\n");
    var first = end < 0 ? text : text.slice(0, end);
    var delim = ",";
    [";", "\t"].forEach(function (d) {
      if (first.split(d).length > first.split(delim).length) {
        delim = d;
      }
    });
    // Each row keeps the line it starts on (1 for the header), as the server's report numbers them.
    var rows = [];
    var row = [];
    var field = "";
    var quoted = false;
    var line = 1;
    row.line = 1;
    for (var i = 0; i < text.length; i++) {
      var c = text.charAt(i);
      if (quoted) {
        if (c === '"') {
          if (text.charAt(i + 1) === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
          }
        } else {
          if (c === "\n") {
            line++;
          }
          field += c;
        }
      } else if (c === '"' && field === "") {
        quoted = true;
      } else if (c === delim) {
        row.push(field);
        field = "";
      } else if (c === "\n") {
        row.push(field);
        rows.push(row);
        line++;
        row = [];
        row.line = line;
        field = "";
      } else if (c !== "\r") {
        field += c;
      }
    }
    if (field !== "" || row.length) {
      row.push(field);
      rows.push(row);
    }
    return rows.filter(function (r) {
      return r.some(function (cell) {
        return cell.trim() !== "";
      });
    });
  }

  function cell(v) {
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }

  function encoder(secretHex) {
    return WebAssembly.instantiateStreaming(fetch("/assets/pseudonym.wasm"), {}).then(function (w) {
      var x = w.instance.exports;
      var utf8 = new TextEncoder();
      var text = new TextDecoder();
      function call(fn, s) {
        var bytes = utf8.encode(s);
        var p = x.tsp_alloc(bytes.length);
        new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
        var r = fn(p, bytes.length);
        x.tsp_free(p, bytes.length);
        return r;
      }
      // The same encoder as the server's, or nothing: a stale copy would make pseudonyms that
      // never link.
      x.tsp_fingerprint();
      var own = text.decode(new Uint8Array(x.memory.buffer, x.tsp_output_ptr(), x.tsp_output_len()).slice());
      if (own !== msg.fingerprint) {
        throw new Error(msg.msgStale);
      }
      if (call(x.tsp_init, secretHex) !== 0) {
        throw new Error("the deployment secret was refused");
      }
      return function (fields) {
        var s = call(x.tsp_encode, fields.join(SEP));
        if (s !== 0) {
          return { status: s };
        }
        var out = new Uint8Array(x.memory.buffer, x.tsp_output_ptr(), x.tsp_output_len());
        return { status: 0, token: text.decode(out.slice()) };
      };
    });
  }

  function key() {
    return fetch("/upload/key", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "csrf=" + encodeURIComponent(form.elements.csrf.value),
    }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  function run(file) {
    var kinds = identifying[entity.value] || {};
    return Promise.all([file.text(), key()]).then(function (got) {
      var rows = parse(got[0]);
      if (!rows.length) {
        return null;
      }
      var header = rows[0];
      var slot = header.map(function (h) {
        var k = kinds[code(h)];
        return k ? FIELDS.indexOf(k) : -1;
      });
      return encoder(got[1].secret).then(function (encode) {
        var errors = [];
        var lines = [
          header
            .filter(function (_, i) {
              return slot[i] < 0;
            })
            .concat(["pseudonyms"])
            .map(cell)
            .join(","),
        ];
        for (var r = 1; r < rows.length; r++) {
          var fields = FIELDS.map(function () {
            return "";
          });
          var kept = [];
          var dateColumn = "";
          rows[r].forEach(function (v, i) {
            if (slot[i] >= 0) {
              fields[slot[i]] = v;
              if (FIELDS[slot[i]] === "birth_date") {
                dateColumn = header[i];
              }
            } else {
              kept.push(v);
            }
          });
          var e = encode(fields);
          if (e.status === 2) {
            errors.push(msg.msgRow + " " + rows[r].line + ", " + msg.msgColumn + " " + dateColumn + ": " + msg.msgBadDate);
          } else if (e.status !== 0) {
            errors.push(msg.msgRow + " " + rows[r].line + ": " + msg.msgFailed + " " + e.status);
          }
          kept.push(e.token || "");
          lines.push(kept.map(cell).join(","));
        }
        return { errors: errors, csv: lines.join("\r\n") + "\r\n", rows: rows.length - 1 };
      });
    });
  }

  form.addEventListener("submit", function (ev) {
    if (!check.checked) {
      return;
    }
    ev.preventDefault();
    var file = input.files[0];
    if (!file) {
      return;
    }
    if (!/\.(csv|txt)$/i.test(file.name)) {
      say(msg.msgXlsx, true);
      return;
    }
    say(msg.msgWorking, false);
    run(file)
      .then(function (out) {
        if (!out) {
          return;
        }
        if (out.errors.length) {
          say(out.errors.slice(0, 20).join(" — "), true);
          return;
        }
        var name = file.name.replace(/\.[^.]*$/, "") + ".pseudonymised.csv";
        var dt = new DataTransfer();
        dt.items.add(new File([out.csv], name, { type: "text/csv" }));
        // The original file leaves the form before anything is sent.
        input.files = dt.files;
        check.checked = false;
        form.submit();
      })
      .catch(function (e) {
        say(msg.msgFailed + " " + (e && e.message ? e.message : e), true);
      });
  });
})();
