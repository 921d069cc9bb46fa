import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LookupTableError, MAX_LOOKUP_TABLE_BYTES, parseLookupTable } from '../discovery/lookup-table.js';
import { MissingEntryError, selectReference } from '../discovery/select-reference.js';
import { DiscoveryInputError } from '../discovery/errors.js';
import { TABLE } from './discovery-fixtures.js';

const rejects = (text: string, pattern: RegExp, options = {}) =>
  assert.throws(() => parseLookupTable(text, options), (error: unknown) => error instanceof LookupTableError && pattern.test(error.message) && error.exitCode === 1);

describe('parseLookupTable', () => {
  it('accepts the published shape and returns exactly its entries', () => {
    assert.deepEqual(parseLookupTable(JSON.stringify(TABLE)), TABLE);
    assert.deepEqual(parseLookupTable(Buffer.from(JSON.stringify({ qemu: TABLE.qemu }))), { qemu: TABLE.qemu });
  });

  it('rejects text that is not a JSON object', () => {
    rejects('{"aws": ', /not JSON/);
    rejects('[]', /expected an object.*not an array/);
    rejects('null', /not null/);
    rejects('"ami-0123456789abcdef0"', /not a string/);
  });

  it('rejects wrong types', () => {
    rejects('{"aws": ["ami-0123456789abcdef0"]}', /aws must be an object/);
    rejects('{"aws": {"us-east-1": 12345678}}', /aws\.us-east-1 must be a string, not a number/);
    rejects('{"azure": {"cvm": null}}', /azure\.cvm must be a string, not null/);
    rejects('{"qemu": {"url": "https://x"}}', /qemu must be a URL string, not a object/);
    rejects('{"aws": {}}', /aws is empty/);
  });

  it('rejects unexpected keys at the top level and under each cloud', () => {
    rejects(JSON.stringify({ ...TABLE, openstack: {} }), /unexpected keys under the top level: "openstack"/);
    rejects(JSON.stringify({ azure: { cvm: TABLE.azure.cvm, sev: TABLE.azure.cvm } }), /unexpected keys under azure: "sev"/);
    rejects(JSON.stringify({ gcp: { 'sev-es': TABLE.gcp['sev-es'], latest: TABLE.gcp['sev-es'] } }), /unexpected keys under gcp: "latest"/);
    rejects(JSON.stringify({ aws: { 'us-east-1': 'ami-0123456789abcdef0', 'not a region': 'ami-0123456789abcdef0' } }), /"not a region" is not an AWS region/);
  });

  it('rejects __proto__ and constructor keys instead of letting them through', () => {
    rejects('{"__proto__": {"aws": {"us-east-1": "ami-0123456789abcdef0"}}}', /unexpected keys under the top level: "__proto__"/);
    rejects('{"aws": {"__proto__": "ami-0123456789abcdef0"}}', /"__proto__" is not an AWS region/);
    rejects('{"azure": {"constructor": "/CommunityGalleries/a/Images/b/Versions/1"}}', /unexpected keys under azure: "constructor"/);
    assert.equal(({} as Record<string, unknown>).aws, undefined, 'Object.prototype untouched');
  });

  it('rejects references of the wrong shape', () => {
    rejects('{"aws": {"us-east-1": "ami-123"}}', /expected an AMI id/);
    rejects('{"aws": {"us-east-1": "ami-0123456789ABCDEF0"}}', /expected an AMI id/);
    rejects('{"aws": {"us-east-1": "ami-0123456789abcdef0\\n"}}', /expected an AMI id/);
    rejects('{"azure": {"cvm": "azure-cvm-123"}}', /expected an Azure image id/);
    rejects('{"azure": {"cvm": "/subscriptions/x/../../etc"}}', /expected an Azure image id/);
    rejects('{"gcp": {"sev-es": "https://evil.example.com/image"}}', /projects\/<project>\/global\/images\/<name>/);
  });

  it('takes only https URLs for qemu, file:// only where the caller allows it', () => {
    rejects('{"qemu": "http://cdn.example.com/qemu.raw"}', /is plain http/);
    rejects('{"qemu": "http://127.0.0.1:8080/qemu.raw"}', /is plain http/);
    assert.equal(parseLookupTable('{"qemu": "http://127.0.0.1:8080/qemu.raw"}', { allow: ['http:'] }).qemu, 'http://127.0.0.1:8080/qemu.raw');
    rejects('{"qemu": "http://cdn.example.com/qemu.raw"}', /is plain http/, { allow: ['http:'] });
    rejects('{"qemu": "ftp://cdn.example.com/qemu.raw"}', /has the scheme ftp:/);
    rejects('{"qemu": "https://user:secret@cdn.example.com/qemu.raw"}', /carries credentials/);
    rejects('{"qemu": "file:///etc/passwd"}', /file:\/\/ URL, which only a local store may use/);
    assert.equal(parseLookupTable('{"qemu": "file:///srv/bucket/raw/v2.2.0/qemu.raw"}', { allow: ['file:'] }).qemu, 'file:///srv/bucket/raw/v2.2.0/qemu.raw');
  });

  it('rejects a table bigger than the limit before parsing it', () => {
    const padded = `{"qemu": "${TABLE.qemu}"}${' '.repeat(MAX_LOOKUP_TABLE_BYTES)}`;
    rejects(padded, /more than the 65536/);
  });
});

describe('selectReference', () => {
  const select = (selector: Parameters<typeof selectReference>[2], table: object = TABLE) => selectReference(table, 'v2.2.0', selector);
  const missing = (selector: Parameters<typeof selectReference>[2], pattern: RegExp, table: object = TABLE) =>
    assert.throws(() => select(selector, table), (error: unknown) => error instanceof DiscoveryInputError && error.exitCode === 2 && pattern.test(error.message));

  it('aws: the AMI of the region, which is required', () => {
    assert.deepEqual(select({ csp: 'aws', region: 'eu-west-1' }), { reference: TABLE.aws['eu-west-1'], region: 'eu-west-1' });
    missing({ csp: 'aws' }, /aws needs --region; v2.2.0 has AMIs in: eu-west-1, us-east-1/);
    missing({ csp: 'aws', region: 'ap-south-1' }, /has no AMI in ap-south-1; it has: eu-west-1, us-east-1/);
    missing({ csp: 'aws', region: 'constructor' }, /has no AMI in constructor/);
  });

  it('azure: cvm by default, trustedlaunch on request', () => {
    assert.equal(select({ csp: 'azure' }).reference, TABLE.azure.cvm);
    assert.equal(select({ csp: 'azure', securityType: 'trustedlaunch' }).reference, TABLE.azure.trustedlaunch);
    missing({ csp: 'azure', securityType: 'sev-snp' }, /unknown azure security type "sev-snp"/);
    missing({ csp: 'azure' }, /no azure image for security type cvm; it has: trustedlaunch/, { azure: { trustedlaunch: TABLE.azure.trustedlaunch } });
  });

  it('gcp: the only image, or the one of --security-type when there are several', () => {
    assert.equal(select({ csp: 'gcp' }).reference, TABLE.gcp['sev-es']);
    const two = { gcp: { 'sev-es': TABLE.gcp['sev-es'], 'sev-snp': 'projects/osimage-images/global/images/snp' } };
    missing({ csp: 'gcp' }, /several gcp images; choose one with --security-type: sev-es, sev-snp/, two);
    assert.equal(select({ csp: 'gcp', securityType: 'sev-snp' }, two).reference, 'projects/osimage-images/global/images/snp');
    missing({ csp: 'gcp', securityType: 'sev-snp' }, /no gcp image for security type sev-snp; it has: sev-es/);
  });

  it('qemu: the URL; a cloud the table lacks lists the clouds it has', () => {
    assert.equal(select({ csp: 'qemu' }).reference, TABLE.qemu);
    missing({ csp: 'aws', region: 'us-east-1' }, /no aws image; it has: qemu/, { qemu: TABLE.qemu });
    assert.throws(() => select({ csp: 'aws', region: 'us-east-1' }, { qemu: TABLE.qemu }), MissingEntryError);
  });

  it('flags that do not apply to the cloud are an error, not ignored', () => {
    missing({ csp: 'qemu', region: 'us-east-1' }, /--region does not apply to qemu/);
    missing({ csp: 'aws', region: 'us-east-1', securityType: 'cvm' }, /--security-type does not apply to aws/);
  });
});
