// Tessera: small conveniences over pages that work without them (progressive enhancement).
//
// 1. Linkage review (/linkage): keyboard shortcuts. j / k move to the next / previous pair,
//    y answers "same person" and n "different persons" for the pair in focus (the same buttons a
//    mouse would press, so the verdict goes through the page's form and its CSRF token). The
//    legend (#keys) is shown only when this script runs.
// 2. Long code lists (a country among 250): a filter box above every list marked
//    data-filter, matching labels without regard to case or accents.
// 3. The data-entry form (/records/new): each change is checked on the server as the import
//    would check it (POST /records/new/check, nothing stored), and the import's messages shown
//    under the fields already filled in; a field the dictionary's rules make required once
//    another holds a value (data-requires-if / data-requires-in) is marked required then.
(function () {
  'use strict';

  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
  }

  // --- 1. Linkage review -----------------------------------------------------------------
  var pairs = Array.prototype.slice.call(document.querySelectorAll('section.pair'));
  var legend = document.getElementById('keys');
  if (pairs.length && legend) {
    legend.hidden = false;
  }
  var current = -1;
  function focusPair(i) {
    if (i < 0 || i >= pairs.length) {
      return;
    }
    if (current >= 0) {
      pairs[current].classList.remove('current');
    }
    current = i;
    var p = pairs[i];
    p.classList.add('current');
    p.focus({ preventScroll: true });
    p.scrollIntoView({ block: 'start' });
    if (window.history && history.replaceState) {
      history.replaceState(null, '', '#' + p.id);
    }
  }
  if (pairs.length) {
    var start = pairs.findIndex(function (p) { return '#' + p.id === location.hash; });
    if (start >= 0) {
      focusPair(start);
    }
    document.addEventListener('keydown', function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) {
        return;
      }
      var tag = e.target && e.target.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') {
        return;
      }
      if (e.key === 'j') {
        focusPair(current < 0 ? 0 : Math.min(current + 1, pairs.length - 1));
        e.preventDefault();
      } else if (e.key === 'k') {
        focusPair(current < 0 ? 0 : Math.max(current - 1, 0));
        e.preventDefault();
      } else if ((e.key === 'y' || e.key === 'n') && current >= 0) {
        var value = e.key === 'y' ? 'same' : 'different';
        var button = pairs[current].querySelector('button[value="' + value + '"]');
        if (button) {
          e.preventDefault();
          button.click();
        }
      }
    });
  }

  // --- 2. Filter over long code lists ----------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll('[data-filter]'), function (list) {
    var input = document.createElement('input');
    input.type = 'search';
    input.className = 'list-filter';
    input.placeholder = list.getAttribute('data-filter');
    input.setAttribute('aria-label', list.getAttribute('data-filter'));
    if (list.id) {
      input.id = list.id + '-filter';
      input.setAttribute('aria-controls', list.id);
    }
    list.parentNode.insertBefore(input, list);
    // Options of a select, or the labels of a group of checkboxes.
    var items = list.tagName === 'SELECT'
      ? Array.prototype.slice.call(list.options)
      : Array.prototype.slice.call(list.querySelectorAll('label'));
    var keys = items.map(function (it) { return fold(it.textContent); });
    input.addEventListener('input', function () {
      var q = fold(input.value);
      items.forEach(function (it, i) {
        var keep = !q || keys[i].indexOf(q) >= 0 || (it.selected || (it.querySelector && it.querySelector('input:checked')));
        it.hidden = !keep;
      });
    });
  });

  // --- 3. Data-entry form: live checks and conditional requirements -------------------------
  var form = document.getElementById('entry-form');
  if (form && form.getAttribute('data-check') && window.fetch) {
    var touched = {};
    var timer = null;
    var general = document.getElementById('entry-general');
    var valuesOf = function (name) {
      return Array.prototype.slice.call(form.elements)
        .filter(function (el) { return el.name === name; })
        .reduce(function (acc, el) {
          if (el.tagName === 'SELECT') {
            Array.prototype.forEach.call(el.selectedOptions, function (o) { if (o.value) { acc.push(o.value); } });
          } else if (el.type === 'checkbox' || el.type === 'radio') {
            if (el.checked) { acc.push(el.value); }
          } else if (el.value.trim()) {
            acc.push(el.value.trim());
          }
          return acc;
        }, []);
    };
    var conditions = function () {
      Array.prototype.forEach.call(form.querySelectorAll('[data-requires-if]'), function (field) {
        var given = valuesOf(field.getAttribute('data-requires-if'));
        var among = (field.getAttribute('data-requires-in') || '').split(' ').filter(Boolean);
        var holds = given.length > 0 && (!among.length || given.some(function (v) { return among.indexOf(v) >= 0; }));
        field.classList.toggle('required-now', holds);
        var mark = field.querySelector('.required-now-mark');
        if (mark) { mark.hidden = !holds; }
        var input = field.querySelector('input:not([type=checkbox]), select');
        if (input) { input.required = holds; }
      });
    };
    var show = function (result) {
      Array.prototype.forEach.call(form.querySelectorAll('[data-errors-for]'), function (box) {
        var code = box.getAttribute('data-errors-for');
        var messages = touched[code] ? (result.fields[code] || []) : [];
        box.textContent = '';
        messages.forEach(function (m) {
          var p = document.createElement('p');
          p.className = 'field-error';
          p.textContent = m;
          box.appendChild(p);
        });
        var field = box.closest('.field');
        if (field) { field.classList.toggle('invalid', messages.length > 0); }
      });
      if (general) {
        var list = document.createElement('ul');
        result.general.forEach(function (m) {
          var li = document.createElement('li');
          li.textContent = m;
          list.appendChild(li);
        });
        general.textContent = '';
        general.appendChild(list);
        general.hidden = result.general.length === 0;
      }
    };
    var check = function () {
      var body = new URLSearchParams(new FormData(form));
      fetch(form.getAttribute('data-check'), {
        method: 'POST',
        body: body,
        credentials: 'same-origin',
        headers: { 'Accept': 'application/json' }
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) { if (result) { show(result); } })
        .catch(function () {});
    };
    form.addEventListener('change', function (e) {
      if (e.target && e.target.name) {
        touched[e.target.name] = true;
      }
      conditions();
      clearTimeout(timer);
      timer = setTimeout(check, 200);
    });
    conditions();
  }
})();
