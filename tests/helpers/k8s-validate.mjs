// tests/helpers/k8s-validate.mjs -- validates Kubernetes manifests against
// the Kubernetes object schemas (npm kubernetes-models), for
// tests/integration/k8s_manifests.tcl.
//
//   node tests/helpers/k8s-validate.mjs FILE.yaml...
//   node tests/helpers/k8s-validate.mjs --flat FILE.yaml...
//
// Every document of every file is parsed (npm yaml), its class is found
// from apiVersion and kind (apps/v1 Deployment -> kubernetes-models/apps/v1/
// Deployment.js) and its .validate() is called; on top of the schemas, a
// field the schema does not define is an error too (the schemas allow them,
// kubectl --validate=strict does not: a misspelt field would be ignored).
// Prints "ok FILE Kind/name" or "FAIL FILE Kind/name: reason" per object
// and exits 1 if any failed, 2 if the packages are missing. With --flat it
// prints every value instead, one "Kind/name .path value" line each, array
// elements named by their "name" field when they have one
// (.spec.template.spec.containers[shoal].ports[metrics].containerPort), so
// a Tcl test can check what the manifests say.
// The packages come from tests/.node (deps/install-node-tools.sh), or from
// the node_modules directory in K8S_VALIDATE_MODULES.

import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = process.env.K8S_VALIDATE_MODULES || join(here, "..", ".node", "node_modules");
const load = (rel) => import(pathToFileURL(join(modules, rel)).href);

if (!existsSync(join(modules, "kubernetes-models")) || !existsSync(join(modules, "yaml"))) {
    console.error(`k8s-validate: kubernetes-models and yaml not found in ${modules} ` +
        "(run deps/install-node-tools.sh)");
    process.exit(2);
}
const YAML = await load("yaml/dist/index.js");

// The fields of a model type, from its TypeScript declaration (the
// schemas are compiled validators, not data): { name: typeFile | null },
// typeFile being the .d.ts of an object-typed field, null for the others.
// null when the file declares no interface (a type alias: a leaf).
const declCache = new Map();
function fieldsOf(dts) {
    if (declCache.has(dts)) return declCache.get(dts);
    let fields = null;
    if (existsSync(dts)) {
        const text = readFileSync(dts, "utf8");
        const imports = new Map();
        for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
            const spec = m[2].replace(/\.js$/, "") + ".d.ts";
            imports.set(m[1], spec.startsWith(".") ? join(dirname(dts), spec) : join(modules, spec));
        }
        const body = /^export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/m.exec(text);
        if (body) {
            fields = {};
            for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) {
                const type = m[2].replace(/^Array<(\w+)>$/, "$1");
                fields[m[1]] = imports.get(type) ?? null;
            }
        }
    }
    declCache.set(dts, fields);
    return fields;
}

// Paths of the fields of obj that its type does not declare.
function unknownFields(obj, dts, path, out) {
    const fields = dts && fieldsOf(dts);
    if (!fields || obj === null || typeof obj !== "object") return;
    if (Array.isArray(obj)) {
        obj.forEach((o, i) => unknownFields(o, dts, `${path}[${i}]`, out));
        return;
    }
    for (const [k, v] of Object.entries(obj)) {
        if (!(k in fields)) out.push(`${path}.${k}`);
        else unknownFields(v, fields[k], `${path}.${k}`, out);
    }
}

function flatten(obj, path, out) {
    if (obj !== null && typeof obj === "object") {
        for (const [k, v] of Object.entries(obj)) {
            const key = Array.isArray(obj) ? `[${v?.name ?? k}]` : `.${k}`;
            flatten(v, path + key, out);
        }
    } else {
        out.push(`${path} ${String(obj).replace(/\n/g, "\\n")}`);
    }
}

const args = process.argv.slice(2);
const flat = args[0] === "--flat";
if (flat) args.shift();
let failed = 0;
for (const file of args) {
    let docs;
    try {
        docs = YAML.parseAllDocuments(readFileSync(file, "utf8"));
    } catch (e) {
        console.log(`FAIL ${file}: ${e.message}`);
        failed++;
        continue;
    }
    if (docs.length === 0) {
        console.log(`FAIL ${file}: no YAML documents`);
        failed++;
    }
    for (const doc of docs) {
        if (doc.errors.length) {
            const why = doc.errors.map((e) => e.message.replace(/\s+/g, " ")).join("; ");
            console.log(`FAIL ${file}: ${why}`);
            failed++;
            continue;
        }
        const obj = doc.toJS();
        if (obj === null) continue;                     // an empty document
        const what = `${obj.kind}/${obj.metadata?.name ?? "?"}`;
        if (flat) {
            const lines = [];
            flatten(obj, "", lines);
            for (const l of lines) console.log(`${what} ${l}`);
            continue;
        }
        try {
            if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
                throw new Error("apiVersion and kind are required");
            }
            // "v1" (core) or "apps/v1": kubernetes-models/<apiVersion>/<Kind>.js
            const model = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
            let mod;
            try {
                mod = await load(`${model}.js`);
            } catch {
                throw new Error(`unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
            }
            const Model = mod[obj.kind];
            new Model(obj).validate();                  // throws on a schema error
            const extra = [];
            unknownFields(obj, join(modules, `${model}.d.ts`), "", extra);
            if (extra.length) throw new Error(`unknown field(s): ${extra.join(", ")}`);
            console.log(`ok ${file} ${what}`);
        } catch (e) {
            console.log(`FAIL ${file} ${what}: ${String(e.message).replace(/\s+/g, " ")}`);
            failed++;
        }
    }
}
process.exit(failed ? 1 : 0);
