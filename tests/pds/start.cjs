// A real Bluesky PDS (with an in-memory PLC) for the Bluesky tests: TestNetworkNoAppView from
// @atproto/dev-env, every listener bound to 127.0.0.1, one account created. Prints the PDS's address
// and the account as one line of JSON, and stops when its standard input closes.
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  else if (args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) && !args[0].host && !args[0].path) args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};
const { TestNetworkNoAppView } = require('@atproto/dev-env');
(async () => {
  const network = await TestNetworkNoAppView.create({});
  const agent = network.pds.getClient();
  await agent.createAccount({ email: 'alice@fanout.test', handle: 'alice.test', password: 'alice-password' });
  process.stdout.write(JSON.stringify({ url: network.pds.url.replace('localhost', '127.0.0.1'), did: agent.session.did, handle: 'alice.test', password: 'alice-password' }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', async () => { await network.close(); process.exit(0); });
})().catch((e) => { console.error(e); process.exit(1); });
