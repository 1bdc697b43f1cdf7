// Two optional hooks a policy may add to the AttentionPolicy protocol, each its own small
// protocol so that `Attention` asks for them only when the policy has them:
//
// - `AttentionReweighting`: change a head's attention weights after softmax and before A·V
//   (ZeroTuning, ACT). Attention runs such a layer through the matrix path for prefill and
//   decode alike (Attention.swift), so the hook sees whole rows and the probe then receives the
//   weights actually used. The recorder's dense shadow is computed apart from the policy, so
//   recall and output error still compare with untouched dense attention.
// - `QueryHeadSelecting`: a decode selection per *query* head (KNN, the per-head oracle), beside
//   AttentionPolicy.select's per-KV-head one. Cost under GQA (H/G query heads per KV head): each
//   head reads its own selected keys and values, so a group's selected rows are read up to H/G
//   times instead of once, and scores come from one matrix-vector product per run per head
//   instead of one matrix product per run per group (Attention+HeadSelection.swift).

/// A policy that rescales attention rows between softmax and A·V.
public protocol AttentionReweighting: AnyObject {
    /// True when rows of `layer` may be changed (false: the layer runs the usual kernels).
    func reweights(layer: Int) -> Bool
    /// row [n]: probabilities (Σ = 1) of query head `head` over the keys at original positions
    /// keyPositions[0 ..< n] (ascending); rewrite them in place, keeping Σ = 1. Called from the
    /// model's worker threads, several heads at once: it must not write shared state.
    func reweight(_ row: UnsafeMutablePointer<Float>, count n: Int, keyPositions: UnsafePointer<Int32>,
                  queryPosition: Int32, layer: Int, head: Int)
}

/// A selecting policy whose decode selection is made per query head.
public protocol QueryHeadSelecting: AnyObject {
    /// Decode calls (one query row) only, after `beginCall`: fill `selection[h]` (H arrays, passed
    /// in empty) with the ascending stream indices of KV head h/(H/G) that query head h attends to
    /// (at least one each) and return true; false: every head attends to every entry.
    /// q: [H·d] the query after RoPE.
    func selectPerQueryHead(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool
}
