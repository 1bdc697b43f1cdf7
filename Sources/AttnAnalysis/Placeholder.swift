// AttnAnalysis: sources arrive with their issue.
