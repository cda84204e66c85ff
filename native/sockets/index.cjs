// Loads the compiled addon; throws when it was not built (node/rpc/send-loop.ts then writes through libuv).
module.exports = require("./build/Release/sockets.node");
