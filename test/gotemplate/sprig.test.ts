// sprig v3 functions, passed in as a FuncMap the way Go callers pass sprig.TxtFuncMap().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sprigFuncs } from '../../src/gotemplate/index.js';
import { runCases, runErrorCases, render } from './table.js';

const opts = { funcs: sprigFuncs };

runCases(
  'sprig defaults and flow',
  [
    { tmpl: '{{.x | default "d"}}|{{.y | default "d"}}|{{.z | default "d"}}|{{.f | default true}}', data: { y: 'set', z: '', f: false }, want: 'd|set|d|true' },
    { tmpl: '{{default "d" 0}} {{default "d" 1}} {{default "d" (list)}} {{default "d" (dict)}}', want: 'd 1 d d' },
    { tmpl: '{{empty ""}} {{empty 0}} {{empty .missing}} {{empty "a"}} {{empty (list 1)}}', data: {}, want: 'true true true false false' },
    { tmpl: '{{coalesce .a .b "c"}} {{coalesce .a .b}}', data: { b: 'bee' }, want: 'bee bee' },
    { tmpl: '{{coalesce 0 ""}}', want: '<no value>' },
    { tmpl: '{{ternary "y" "n" true}} {{ternary "y" "n" false}} {{true | ternary "y" "n"}}', want: 'y n y' },
    { tmpl: '{{required "x is required" .x}}', data: { x: 'ok' }, want: 'ok' },
    { tmpl: '{{all 1 "a" true}} {{all 1 0}} {{any 0 "" 1}} {{any 0 ""}}', want: 'true false true false' },
  ],
  opts,
);

runCases(
  'sprig strings',
  [
    { tmpl: '{{quote "a\\"b"}} {{quote 1 "x"}} {{squote "s"}} {{quote .missing}}|', data: {}, want: '"a\\"b" "1" "x" \'s\' |' },
    { tmpl: '{{trim "  x \\n"}}|{{trimAll "-" "--x--"}}|{{trimPrefix "p-" "p-x"}}|{{trimSuffix "-s" "x-s"}}', want: 'x|x|x|x' },
    { tmpl: '{{upper "abc"}} {{lower "ABC"}} {{title "hello wide-world"}} {{untitle "Hello World"}}', want: 'ABC abc Hello Wide-World hello world' },
    { tmpl: '{{replace "a" "b" "banana"}} {{contains "an" "banana"}} {{hasPrefix "ba" "banana"}} {{hasSuffix "na" "banana"}}', want: 'bbnbnb true true true' },
    { tmpl: '{{trunc 3 "hello"}} {{trunc -3 "hello"}} {{trunc 10 "hi"}} {{substr 1 3 "hello"}} {{repeat 3 "ab"}} {{nospace " a b "}}', want: 'hel llo hi el ababab ab' },
    { name: 'indent pads every line including the first', tmpl: '[{{indent 2 "a\\nb"}}]', want: '[  a\n  b]' },
    { tmpl: '[{{nindent 4 "a\\nb"}}]', want: '[\n    a\n    b]' },
    { tmpl: '{{split "," "a,b,c"}} {{(split "," "a,b")._1}} {{splitList "," "a,,b"}} {{splitn ":" 2 "a:b:c"}}', want: 'map[_0:a _1:b _2:c] b [a  b] map[_0:a _1:b:c]' },
    { tmpl: '{{join "," (list "a" 1 nil true)}} {{join "-" .s}} {{join "," "solo"}}', data: { s: ['x', 'y'] }, want: 'a,1,true x-y solo' },
    { tmpl: '{{sortAlpha (list "b" "C" "a")}} {{toString 12}} {{toString nil}} {{cat "a" 1 nil "b"}}', want: '[C a b] 12 <nil> a 1 b' },
    { tmpl: '{{toStrings (list 1 "a" 2.5)}} {{atoi "42"}} {{atoi "x"}} {{plural "one" "many" 2}} {{abbrev 5 "hello world"}}', want: '[1 a 2.5] 42 0 many he...' },
    { tmpl: '{{sha256sum "abc"}}', want: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
    { tmpl: '{{sha1sum "abc"}} {{adler32sum "Wikipedia"}}', want: 'a9993e364706816aba3e25717850c26c9cd0d89d 300286872' },
  ],
  opts,
);

runCases(
  'sprig lists',
  [
    { tmpl: '{{list 1 "a" nil}} {{list}}', want: '[1 a <nil>] []' },
    { tmpl: '{{append (list 1) 2}} {{prepend (list 1) 0}} {{first (list 1 2)}} {{last (list 1 2)}} {{first (list)}}', want: '[1 2] [0 1] 1 2 <no value>' },
    { tmpl: '{{rest (list 1 2 3)}} {{initial (list 1 2 3)}} {{reverse (list 1 2 3)}}', want: '[2 3] [1 2] [3 2 1]' },
    { tmpl: '{{has 2 (list 1 2)}} {{has "x" (list 1 2)}} {{has 1 nil}}', want: 'true false false' },
    { tmpl: '{{uniq (list 1 1 "a" "a" 2)}} {{without (list 1 2 3 2) 2}} {{compact (list 0 1 "" "a" nil false)}}', want: '[1 a 2] [1 3] [1 a]' },
    { tmpl: '{{concat (list 1) (list 2 3) (list)}} {{until 3}} {{until -2}} {{untilStep 0 10 4}} {{seq 3}} {{seq 2 0}}', want: '[1 2 3] [0 1 2] [0 -1] [0 4 8] 1 2 3 2 1 0' },
    { name: 'lists given to a function are not modified', tmpl: '{{$l := list 1}}{{$m := append $l 2}}{{$l}} {{$m}}', want: '[1] [1 2]' },
    { tmpl: '{{range until 2}}{{.}}{{end}}', want: '01' },
  ],
  opts,
);

runCases(
  'sprig dicts',
  [
    { tmpl: '{{dict "a" 1 "b" "two"}} {{dict}} {{dict "odd"}}', want: 'map[a:1 b:two] map[] map[odd:]' },
    { tmpl: '{{$d := dict "a" 1}}{{$_ := set $d "b" 2}}{{$_ := unset $d "a"}}{{$d}} {{hasKey $d "b"}} {{hasKey $d "a"}}', want: 'map[b:2] true false' },
    { tmpl: '{{get (dict "a" 1) "a"}} [{{get (dict) "x"}}]', want: '1 []' },
    { tmpl: '{{keys (dict "b" 1 "a" 2) | sortAlpha}} {{values (dict "a" 1)}}', want: '[a b] [1]' },
    { tmpl: '{{pick (dict "a" 1 "b" 2 "c" 3) "a" "c"}} {{omit (dict "a" 1 "b" 2) "a"}}', want: 'map[a:1 c:3] map[b:2]' },
    { name: 'merge is deep and the left side wins', tmpl: '{{merge (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "b" 3 "n" (dict "x" 9 "y" 2))}}', want: 'map[a:1 b:3 n:map[x:1 y:2]]' },
    { name: 'merge fills empty values on the left (mergo)', tmpl: '{{merge (dict "a" "" "b" false) (dict "a" "x" "b" true)}}', want: 'map[a:x b:true]' },
    { tmpl: '{{mergeOverwrite (dict "a" 1 "n" (dict "x" 1 "z" 0)) (dict "a" 2 "n" (dict "x" 9))}}', want: 'map[a:2 n:map[x:9 z:0]]' },
    { tmpl: '{{dig "a" "b" "def" (dict "a" (dict "b" "found"))}} {{dig "a" "x" "def" (dict "a" (dict "b" 1))}}', want: 'found def' },
    { tmpl: '{{$a := dict "l" (list 1)}}{{$b := deepCopy $a}}{{$_ := set $b "l" 2}}{{$a}} {{$b}}', want: 'map[l:[1]] map[l:2]' },
    { tmpl: '{{pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3)}}', want: '[1 3]' },
  ],
  opts,
);

runCases(
  'sprig numbers',
  [
    { tmpl: '{{add 1 2 3}} {{add1 5}} {{sub 5 7}} {{mul 2 3 4}} {{div 7 2}} {{mod 7 3}} {{max 1 9 3}} {{min 4 2 8}}', want: '6 6 -2 24 3 1 9 2' },
    { name: 'integer math truncates floats like spf13/cast', tmpl: '{{add 1.9 1}} {{int "42"}} {{int 3.7}} {{int64 "0x10"}} {{int "x"}}', want: '2 42 3 16 0' },
    { tmpl: '{{float64 "1.5"}} {{addf 1.5 1}} {{mulf 1.5 2}} {{divf 1 4}} {{ceil 1.2}} {{floor 1.8}} {{round 3.14159 2}}', want: '1.5 2.5 3 0.25 2 1 3.14' },
  ],
  opts,
);

runCases(
  'sprig encoding',
  [
    { name: 'toJson sorts keys and escapes HTML like encoding/json', tmpl: '{{toJson .}}', data: { b: '<&>', a: [1, 2.5, null, true], c: {} }, want: '{"a":[1,2.5,null,true],"b":"\\u003c\\u0026\\u003e","c":{}}' },
    { tmpl: '{{toPrettyJson .}}', data: { b: [1], a: { x: 'y' }, e: [] }, want: '{\n  "a": {\n    "x": "y"\n  },\n  "b": [\n    1\n  ],\n  "e": []\n}' },
    { tmpl: '{{toRawJson .}}', data: { a: '<b>' }, want: '{"a":"<b>"}' },
    { tmpl: '{{(fromJson "{\\"a\\":{\\"b\\":[1,2]}}").a.b}} {{fromJson "not json"}}', want: '[1 2] <no value>' },
    { tmpl: '{{b64enc "hello wörld"}} {{b64dec "aGVsbG8gd8O2cmxk"}} {{b64dec "!!"}}', want: 'aGVsbG8gd8O2cmxk hello wörld illegal base64 data at input byte 0' },
    {
      name: 'toYaml: sorted keys, go-yaml v2 quoting, no trailing newline',
      tmpl: '{{toYaml .}}',
      data: { name: 'x', ports: [{ port: 80, name: 'http' }], labels: { b: 'on', a: '123' }, empty: {}, none: null, list: [], flag: true, s: 'a: b' },
      want: 'empty: {}\nflag: true\nlabels:\n  a: "123"\n  b: "on"\nlist: []\nname: x\nnone: null\nports:\n- name: http\n  port: 80\ns: \'a: b\'',
    },
    { name: 'toYaml key order follows go-yaml (numbers in keys compare numerically)', tmpl: '{{toYaml .}}', data: { a10: 1, a2: 2, B: 3, _x: 4 }, want: '_x: 4\nB: 3\na2: 2\na10: 1' },
    { name: 'toYaml of multi-line strings uses block style', tmpl: '{{toYaml .}}', data: { s: 'line1\nline2\n' }, want: 's: |\n  line1\n  line2' },
    { tmpl: '{{toYaml "str"}}|{{toYaml 5}}|{{toYaml (list 1 2)}}', want: 'str|5|- 1\n- 2' },
  ],
  opts,
);

runCases(
  'sprig regex',
  [
    { tmpl: '{{regexMatch "^[a-z]+$" "abc"}} {{regexMatch "^[a-z]+$" "ab1"}} {{regexMatch "(" "x"}}', want: 'true false false' },
    { tmpl: '{{regexFind "[0-9]+" "ab123cd45"}} {{regexFindAll "[0-9]+" "a1b22c333" -1}} {{regexFindAll "[0-9]+" "a1b22c333" 2}}', want: '123 [1 22 333] [1 22]' },
    { tmpl: '{{regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W"}} {{regexReplaceAll "a(x*)b" "-axxb-" "$1W"}}', want: '-W-xxW- --' },
    { tmpl: '{{regexReplaceAll "(?P<first>\\\\w+) (?P<last>\\\\w+)" "Ada Lovelace" "$last, $first"}}', want: 'Lovelace, Ada' },
    { tmpl: '{{regexReplaceAll "a" "aaa" "$$"}} {{regexReplaceAllLiteral "a" "aa" "$1"}}', want: '$$$ $1$1' },
    { name: 'empty matches next to a match are skipped as in Go', tmpl: '{{regexReplaceAll "a*" "baaac" "-"}}', want: '-b-c-' },
    { tmpl: '{{regexSplit "[,;]" "a,b;c" -1}} {{regexSplit "," "a,b,c" 2}}', want: '[a b c] [a b,c]' },
    { tmpl: '{{regexMatch "(?i)^ABC$" "abc"}} {{regexMatch "^[[:digit:]]+$" "123"}} {{regexMatch "\\\\Aab\\\\z" "ab"}}', want: 'true true true' },
    { tmpl: '{{regexQuoteMeta "a.b*c"}}', want: 'a\\.b\\*c' },
  ],
  opts,
);

runCases(
  'sprig semver',
  [
    { tmpl: '{{semverCompare ">=1.20" "1.21.0"}} {{semverCompare ">=1.20" "1.19.9"}} {{semverCompare "1.2.3" "1.2.3"}}', want: 'true false true' },
    { name: 'pre-releases only match pre-release constraints', tmpl: '{{semverCompare ">=1.20" "1.29.1-gke.1"}} {{semverCompare ">=1.20-0" "1.29.1-gke.1"}}', want: 'false true' },
    { tmpl: '{{semverCompare "^1.2.3" "1.9.0"}} {{semverCompare "^1.2.3" "2.0.0"}} {{semverCompare "^0.2.3" "0.2.9"}} {{semverCompare "^0.2.3" "0.3.0"}}', want: 'true false true false' },
    { tmpl: '{{semverCompare "~1.2" "1.2.9"}} {{semverCompare "~1.2" "1.3.0"}} {{semverCompare "~1.2.3" "1.2.2"}}', want: 'true false false' },
    { tmpl: '{{semverCompare ">=1.2, <1.4" "1.3.5"}} {{semverCompare ">=1.2 <1.4" "1.4.0"}} {{semverCompare "<1.0 || >=2.x" "2.5.1"}}', want: 'true false true' },
    { tmpl: '{{semverCompare "1.2 - 1.4.5" "1.4.5"}} {{semverCompare "1.2 - 1.4.5" "1.4.6"}} {{semverCompare "1.x" "1.9.9"}} {{semverCompare "*" "3.0.0"}}', want: 'true false true true' },
    { tmpl: '{{semverCompare ">1.2" "1.2.5"}} {{semverCompare ">1.2" "1.3.0"}} {{semverCompare "<=1.2" "1.2.9"}} {{semverCompare "!=1.2.3" "1.2.4"}}', want: 'false true true true' },
    { tmpl: '{{semverCompare ">= v1.20.0" "v1.20.3"}}', want: 'true' },
  ],
  opts,
);

runCases(
  'sprig reflection',
  [
    { tmpl: '{{typeOf 1}} {{typeOf 1.5}} {{typeOf "s"}} {{typeOf (list)}} {{typeOf (dict)}} {{typeOf nil}} {{typeOf true}}', want: 'int float64 string []interface {} map[string]interface {} <nil> bool' },
    { tmpl: '{{kindOf 1}} {{kindOf "s"}} {{kindOf (list)}} {{kindOf (dict)}} {{kindOf nil}} {{kindIs "map" (dict)}} {{kindIs "slice" 1}}', want: 'int string slice map invalid true false' },
    { tmpl: '{{typeIs "string" "x"}} {{deepEqual (list 1 (dict "a" 2)) (list 1 (dict "a" 2))}} {{deepEqual (list 1) (list 2)}}', want: 'true true false' },
  ],
  opts,
);

test('uuidv4 has the v4 shape', () => {
  assert.match(render('{{uuidv4}}', null, opts), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('caller funcs override sprig functions of the same name', () => {
  assert.equal(render('{{quote "x"}}', null, { funcs: { ...sprigFuncs, quote: (s: string) => `<<${s}>>` } }), '<<x>>');
});

runErrorCases(
  'sprig errors',
  [
    { tmpl: '{{required "x is required" .x}}', data: {}, err: 'template: t:1:2: executing "t" at <required "x is requi...>: error calling required: x is required' },
    { tmpl: '{{fail "stop here"}}', err: /error calling fail: stop here$/ },
    { tmpl: '{{upper 3}}', err: 'template: t:1:8: executing "t" at <3>: expected string; found 3' },
    { tmpl: '{{upper .n}}', data: { n: 3 }, err: /at <\.n>: wrong type for value; expected string; got int$/ },
    { tmpl: '{{upper .missing}}', data: {}, err: /at <\.missing>: invalid value; expected string$/ },
    { tmpl: '{{upper "a" "b"}}', err: 'template: t:1:2: executing "t" at <upper>: wrong number of args for upper: want 1 got 2' },
    { tmpl: '{{indent "x" "y"}}', err: /expected integer; found "x"$/ },
    { tmpl: '{{first 5}}', err: /error calling first: Cannot find first on type int$/ },
    { tmpl: '{{append nil 1}}', err: /error calling append: Cannot push on type invalid$/ },
    { tmpl: '{{div 1 0}}', err: /error calling div: runtime error: integer divide by zero$/ },
    { tmpl: '{{regexFind "(" "x"}}', err: /error calling regexFind: regexp: Compile\(`\(`\): error parsing regexp: / },
    { tmpl: '{{semverCompare ">=1.x.y.z" "1.0.0"}}', err: /error calling semverCompare: improper constraint: >=1.x.y.z$/ },
    { tmpl: '{{semverCompare ">=1.0" "not-a-version"}}', err: /error calling semverCompare: Invalid Semantic Version$/ },
    { tmpl: '{{set nil "a" 1}}', err: /error calling set: assignment to entry in nil map$/ },
    { tmpl: '{{hasKey "str" "a"}}', err: 'template: t:1:9: executing "t" at <"str">: can\'t handle "str" for arg of type map[string]interface {}' },
    { tmpl: '{{hasKey .s "a"}}', data: { s: 'str' }, err: /at <\.s>: wrong type for value; expected map\[string\]interface \{\}; got string$/ },
    { tmpl: '{{ternary 1 2 "yes"}}', err: /expected bool; found "yes"$/ },
  ],
  opts,
);
