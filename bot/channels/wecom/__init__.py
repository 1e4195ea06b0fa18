"""企业微信 (and 政务微信, built on its API): the wire client. ``api``: the server API calls
(token, 应用消息, 模板卡片, media, organisation); ``callback``: the application's callback URL
(signature, decryption, exactly one answer after the input is handled); ``inputs``: what a
person did, as plain values. The adapter on the channel edge is built on these."""
