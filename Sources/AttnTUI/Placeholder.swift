// AttnTUI: sources arrive with their issue.
