fn main() {
    // Every command gets its own permission, so each window's capability grants only what it uses.
    let commands = &[
        "app_info",
        "save_settings",
        "set_shell_strings",
        "list_accounts",
        "link_account",
        "meta_app_status",
        "link_meta",
        "cancel_browser_login",
        "sign_in_mastodon",
        "hand_off",
        "recipient_lists",
        "create_recipient_list",
        "add_recipients",
        "remove_recipient",
        "delete_recipient_list",
        "whatsapp_templates",
        "publishing_quota",
        "threads_app_status",
        "start_threads_login",
        "finish_threads_login",
        "set_account_enabled",
        "remove_account",
        "verify_account",
        "start_demo",
        "pick_media",
        "attach_bytes",
        "detach_media",
        "take_received_media",
        "review_draft",
        "share",
        "list_outbox",
        "history",
        "reschedule_post",
        "retry_delivery",
        "retry_all_failures",
        "cancel_delivery",
        "resolve_delivery",
        "set_paused",
        "open_link",
        "open_data_folder",
        "open_account_page",
        "show_quick_share",
        "show_main",
        "clipboard_text",
    ];
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
